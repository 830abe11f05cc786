"""What the blueprints share: turning service errors into form errors, small forms, access decorators."""
