"""The ``inrcodec`` command line (installed as ``inrcodec.cli``)."""
