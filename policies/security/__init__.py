"""AWS and Kubernetes security controls: no assumption about the stack's tags, names or layout."""
