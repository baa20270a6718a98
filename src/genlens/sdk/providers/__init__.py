"""One small module per provider SDK: how to read its requests, responses and streams."""
