"""Builtin split protocols, one module per family, registered by import path under each class's ``name``."""

from __future__ import annotations

from ...plugins.hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.protocol.register("emobox", "mer_toolkit.data.protocols.emobox:EmoBoxFolds")
    registry.protocol.register("by_fold", "mer_toolkit.data.protocols.fold_column:ByFold")
    registry.protocol.register("leave_one_group_out", "mer_toolkit.data.protocols.groups:LeaveOneGroupOut")
    registry.protocol.register("held_out_groups", "mer_toolkit.data.protocols.groups:HeldOutGroups")
    registry.protocol.register("iemocap4", "mer_toolkit.data.protocols.groups:IEMOCAP4")
    registry.protocol.register("iemocap6", "mer_toolkit.data.protocols.groups:IEMOCAP6")
    registry.protocol.register("iemocap6_loso", "mer_toolkit.data.protocols.groups:IEMOCAP6Sessions")
    registry.protocol.register("official", "mer_toolkit.data.protocols.official:OfficialSplit")
    registry.protocol.register("random", "mer_toolkit.data.protocols.random_split:RandomSplit")
    registry.protocol.register("ravdess_si", "mer_toolkit.data.protocols.ravdess:RavdessSI")
    registry.protocol.register("ravdess_6fold", "mer_toolkit.data.protocols.ravdess:Ravdess6Fold")
    registry.protocol.register("ravdess_emobox", "mer_toolkit.data.protocols.ravdess:RavdessEmoBox")
    registry.protocol.register("by_speaker", "mer_toolkit.data.protocols.speakers:BySpeaker")
    registry.protocol.register("speaker_kfold", "mer_toolkit.data.protocols.speakers:SpeakerKFold")
