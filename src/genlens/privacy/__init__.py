"""genlens.privacy"""
