"""genlens.query"""
