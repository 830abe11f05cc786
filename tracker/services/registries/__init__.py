"""Registries behind indicators 6–12 (人才载体平台登记): talents, carriers, platforms, institutions."""
