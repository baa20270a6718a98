"""genlens.sdk"""
