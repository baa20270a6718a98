"""genlens.simulate"""
