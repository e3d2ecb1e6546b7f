"""Haishin domain package: everything the Lambda functions share, free of Lambda event shapes."""
