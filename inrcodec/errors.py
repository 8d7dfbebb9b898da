"""The codec's own error types: every bad input ends in one of these, never in a traceback.

The CLI turns any ``CodecError`` into a one-line message and a non-zero exit status.
"""


class CodecError(Exception):
    """Base class of every error the codec reports to its user."""


class InputError(CodecError):
    """An input file or array that cannot be encoded (missing, unreadable, unsupported)."""


class OutputError(CodecError):
    """An output that cannot be written (existing file without --force, full disk, no permission)."""


class BitstreamError(CodecError):
    """Data that is not a valid inrcodec bitstream (wrong magic, truncated, corrupt, over limits)."""


class LimitError(CodecError):
    """A request whose size exceeds a declared limit (output pixels, model size)."""


class DeviceError(CodecError):
    """A compute device that was asked for but is not available."""
