"""Pictures in, pictures out: upscaling one image (luminance through the network, colour and alpha by bicubic) and planning a batch of them."""
