"""650.vid: video analysis (``decode`` → map ``analyse`` over frame batches → ``summarize``).

Upstream decodes an MP4 with OpenCV and runs TensorFlow's Faster R-CNN (COCO) from SeBS's data
repository; neither the video nor the model can be fetched here. Ours: a seeded synthetic video
(coloured objects on a noisy background) stored as an animated PNG and decoded with Pillow, and a
detector built on ``scipy.ndimage`` (colour model + connected components) whose "model" is a
palette file in the object store, so the output can be checked object by object against the
scene the generator drew.
"""
