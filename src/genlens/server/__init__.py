"""genlens.server"""
