"""The billing app; its models and procedures arrive with their issues."""
