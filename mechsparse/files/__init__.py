"""Files on disk, the bottom layer: atomic writes (a reader never sees half a file) and the bounded reader of .npz
archives, which checks every member's header against size and shape limits before a byte of it is decoded. It owns
no file format of its own: the formats (dataset, snapshot, timeline) belong to the packages that write them. It
imports nothing from mechsparse; numpy and the standard library only.
"""
