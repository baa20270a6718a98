"""genlens.store"""
