"""The decoder is its own program: decoding, ``info`` and Pillow's ``open`` in a fresh interpreter load
neither PyTorch nor any module of the encoder's wing (``inrcodec.train``), the tools, a kind's
``encode`` module or a family's ``trainable`` twin."""

import subprocess
import sys

from .conftest import REPO

CONFORMANCE = REPO / "bitstreams" / "conformance"
ENCODER_SIDE = ("torch", "skimage.metrics", "inrcodec.train", "inrcodec.tools", "inrcodec.signals.encoding",
                "inrcodec.models.latent.objective", "inrcodec.models.latent.fit")
SCRIPT = """
import sys
from PIL import Image
import inrcodec
from inrcodec.cli.main import main

image, volume, scene, out = sys.argv[1:5]
for arguments in (["decode", image, "-o", out + "/x4.png", "--scale", "4"], ["info", image, "--json"],
                  ["decode", volume, "-o", out + "/shape.ply"], ["decode", scene, "-o", out + "/views", "--orbit", "2"]):
    main(arguments, standalone_mode=False)
Image.open(image).load()
loaded = [name for name in sys.modules
          if name.split(".")[0] in {prefix.split(".")[0] for prefix in sys.argv[5:]}
          and any(name == prefix or name.startswith(prefix + ".") for prefix in sys.argv[5:])
          or name.endswith((".trainable", ".encode"))]
print("loaded:", *loaded)
"""


def test_a_fresh_interpreter_decodes_every_kind_without_loading_torch_or_the_encoder(tmp_path):
    files = [CONFORMANCE / name for name in ("v2_rgb8_24x16_latent_learned.inr", "v2_volume_torus_16.inr",
                                             "v2_scene_ball_16.inr")]
    finished = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, files), str(tmp_path), *ENCODER_SIDE],
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == "loaded:", finished.stdout
    assert (tmp_path / "x4.png").is_file() and (tmp_path / "shape.ply").is_file() and (tmp_path / "views").is_dir()
