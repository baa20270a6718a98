"""genlens.pricing"""
