"""The decoder's work bound: tiles follow the network's width, the plan counts the work a render
does, and a file over any limit is refused before a weight is decoded."""

import math

import pytest

import inrcodec
from benchmarks.fuzz import largest_legal_seeds
from inrcodec import render
from inrcodec.bitstream import Bitstream, GroupHeader, read_bitstream, write_bitstream
from inrcodec.errors import LimitError
from inrcodec.models import ModelId, Sl2aConfig
from inrcodec.quant import weight_groups
from inrcodec.render import DecodeLimits, plan_render
from inrcodec.signals import SignalKind
from inrcodec.signals.image.decode import ImageGeometry

WIDE = Sl2aConfig(2, 3, width=1024, degree=0, hidden_layers=3)  # 36 bytes of file, 3 M MACs a pixel


def zero_weight_file(config, side=256) -> bytes:
    groups = (GroupHeader(0),) * len(weight_groups(config))
    return write_bitstream(Bitstream(SignalKind.IMAGE, ImageGeometry(side, side, 3, 8), ModelId.SL2A,
                                     config, groups, b""))


def test_a_wide_network_asked_for_4096_squared_is_refused_naming_the_limit():
    data = zero_weight_file(WIDE)
    assert len(data) < 40
    with pytest.raises(LimitError, match=r"4096x4096 needs \d\.\d+e\+13 multiply-adds.*--max-macs"):
        inrcodec.decode_image(data, size=(4096, 4096), max_pixels=1 << 26)


def test_the_compute_and_memory_limits_apply_at_the_files_own_size():
    data = zero_weight_file(WIDE)
    own = render.plan_render(WIDE, (256, 256), 256 * 256 * 3)
    with pytest.raises(LimitError, match="--max-macs"):
        inrcodec.decode_image(data, max_macs=own.macs - 1)
    with pytest.raises(LimitError, match="--max-memory"):
        inrcodec.decode_image(data, max_memory_bytes=own.memory_bytes - 1)
    with pytest.raises(LimitError, match="--max-pixels"):
        inrcodec.decode_image(data, max_pixels=256 * 256 - 1)


@pytest.mark.parametrize("width", [1, 8, 64, 1024])
def test_tiles_shrink_as_networks_widen_so_activations_stay_within_budget(width):
    config = Sl2aConfig(2, 3, width=width, degree=16, hidden_layers=3)
    plan = plan_render(config, (4096, 4096), 0)
    activations = math.prod(plan.tile) * config.floats_per_point() * render.FLOAT_BYTES
    assert activations <= render.ACTIVATION_BUDGET_BYTES
    assert activations > render.ACTIVATION_BUDGET_BYTES // 4  # and tiles are not needlessly small


def test_tiles_cover_the_grid_once_and_the_work_counts_each_tiles_axis_slices():
    config = Sl2aConfig(2, 3, width=8, degree=16, hidden_layers=1)
    shape, tile = (10, 23), (4, 5)  # tiles that do not divide the grid
    plan = render.RenderPlan(shape, tile, render.render_ops(config, shape, tile), 0)
    covered = [[0] * 23 for _ in range(10)]
    axis_samples = 0
    for rows, columns in plan.tiles():
        axis_samples += len(range(10)[rows]) + len(range(23)[columns])
        for r in range(10)[rows]:
            for c in range(23)[columns]:
                covered[r][c] += 1
    assert all(count == 1 for row in covered for count in row)
    per_pixel = config.point_ops() + 3 * render.OUTPUT_OPS
    assert plan.ops == 10 * 23 * per_pixel + axis_samples * config.axis_ops()


def test_the_largest_legal_network_of_every_family_is_refused_by_a_work_limit_its_smallest_passes():
    from inrcodec.models import REGISTRY, entry_for_id
    from inrcodec.signals.image.presets import model_config

    families = set()
    for data in largest_legal_seeds():
        stream = read_bitstream(data)
        if stream.kind is not SignalKind.IMAGE:
            continue
        family = entry_for_id(stream.model_id).name
        smallest = plan_render(model_config(family, 1, (256, 256), 3), (256, 256), 256 * 256 * 3)
        limits = DecodeLimits(max_macs=2 * smallest.macs)
        limits.check(smallest)  # the family's level-1 network at 256x256 passes the limit ...
        with pytest.raises(LimitError, match="multiply-adds"):  # ... its largest legal one does not
            limits.check(plan_render(stream.config, (256, 256), 256 * 256 * 3))
        families.add(family)
    assert families == set(REGISTRY) - {"latent3d"}  # scenes only: its largest legal seeds are scenes
