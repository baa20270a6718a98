"""genlens.demo"""
