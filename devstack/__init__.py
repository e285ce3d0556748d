"""The local runtime: runs the SAM template's API, queues and consumers without Docker."""
