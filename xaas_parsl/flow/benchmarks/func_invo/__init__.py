"""620.func-invo: a function chain (``gen`` then ``process`` repeated 8 times) whose payload is a
string of N characters; it measures invocation latency against payload size."""
