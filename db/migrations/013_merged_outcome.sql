-- A duplicate merged into its original ends its running clock with outcome 'merged': nobody answers for it
-- any more (the original carries the report), so it must neither run on into "overdue" and escalation nor
-- count as resolved. The league leaves merged clocks out of the SLA share (db/league.py).
ALTER TABLE post_assignments DROP CONSTRAINT post_assignments_outcome_check;
ALTER TABLE post_assignments ADD CONSTRAINT post_assignments_outcome_check
    CHECK (outcome IN ('resolved', 'rejected', 'forwarded', 'merged'));
