"""A simulated bank adapter: reads payout files, settles or fails transfers, confirms."""
