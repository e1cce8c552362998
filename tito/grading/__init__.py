"""Grading submissions so that no submission can write its own grade.

The pieces, in the order a submission meets them:

- `grader`: reads and exports each submission, starts one judge per submission, reads
  the judge's results, turns them into rows (`tito grade` is its command line).
- `judge`: a trusted process that runs the module's pytest tests with `plugin`; it never
  imports the submission. `tinytorch` in it is `proxy`'s package.
- `proxy` and `worker`: the two ends of a pipe (`peer`, `wire`). The worker, started in
  the `sandbox`, imports the submission's package and runs what the judge asks; values
  come back as plain data (JSON and raw array buffers whose dtypes cannot hold objects),
  learner objects as references, exceptions as the matching builtin class.

What a hostile submission can and cannot do is stated once, in `tito grade --help`
(tito/commands/grade.py) and in docs/design.md ("Grading").
"""
