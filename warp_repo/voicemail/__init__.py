"""Voicemail: its repositories, deposits, folders, message-waiting counts, retention and the transcription queue.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.voicemail._async import (
    AsyncMwiCache,
    AsyncTranscriptionQueue,
    AsyncVoicemail,
    AsyncVoicemailBoxRepo,
    AsyncVoicemailMessageRepo,
    AsyncVoicemailTranscriptionRepo,
    MessageWaiting,
)
from warp_repo.voicemail._sync import (
    MwiCache,
    TranscriptionQueue,
    Voicemail,
    VoicemailBoxRepo,
    VoicemailMessageRepo,
    VoicemailTranscriptionRepo,
)

__all__ = [
    "AsyncMwiCache",
    "AsyncTranscriptionQueue",
    "AsyncVoicemail",
    "AsyncVoicemailBoxRepo",
    "AsyncVoicemailMessageRepo",
    "AsyncVoicemailTranscriptionRepo",
    "MessageWaiting",
    "MwiCache",
    "TranscriptionQueue",
    "Voicemail",
    "VoicemailBoxRepo",
    "VoicemailMessageRepo",
    "VoicemailTranscriptionRepo",
]
