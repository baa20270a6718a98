"""genlens.pipeline"""
