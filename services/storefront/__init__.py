"""A simulated storefront that publishes a realistic marketplace day."""
