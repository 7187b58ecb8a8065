-- Each running clock carries when its next escalation threshold falls due (NULL: none left), so the sweep
-- reads only clocks with work to do, instead of every overdue clock again each minute (a clock that has
-- climbed to the root, or a long-ignored report, would otherwise be re-read forever and crowd out others).
ALTER TABLE post_assignments ADD COLUMN next_escalation_at timestamptz;
UPDATE post_assignments
   SET next_escalation_at = CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END
 WHERE ended_at IS NULL;
CREATE INDEX post_assignments_escalation_idx ON post_assignments (next_escalation_at) WHERE ended_at IS NULL;
DROP INDEX post_assignments_running_idx;
