"""Example flare applications that exercise the collectives: a TeraSort-like distributed sort
(gather, broadcast, all_to_all) and PageRank (allreduce), each with a verifier."""
