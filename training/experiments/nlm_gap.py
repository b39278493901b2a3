"""Is the noise gap to NLM on smooth photos a data gap? RAM against non-local means per photo.

    python3 training/experiments/nlm_gap.py SPLIT N WEIGHTS      e.g. train 8 Assets/weights/ram-small.safetensors

For up to N colour photos of SPLIT (data/manifest.csv: train, val; never heldout while
choosing) that are smooth (over 60 % of the centre crop's pixels with |grad Y| < 2/255) and N
that are textured (under 30 %): `ram eval --crop-to 256` at noise 25 and 50 against NLM (true
sigma, h = k sigma with the k the validation table chose: 0.5 at sigma 25, 0.3 at 50) on the
same 8-bit degraded crop (`ram degrade` of the crop with seed i, as ram eval seeds image i;
checked through the input PSNR). Prints the mean and worst per-photo RAM - NLM difference.
If RAM also trails NLM on smooth *training* photos, which it has seen degraded at both levels
many times, more smooth photos are not what it lacks."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image
from skimage.restoration import denoise_nl_means
from skimage.metrics import peak_signal_noise_ratio as psnr
import tempfile

from ram_training.paths import REPO

os.chdir(REPO)
TMP = tempfile.mkdtemp(prefix='nlm-gap-')
if len(sys.argv) != 4:
    sys.exit(__doc__)
split = sys.argv[1]; n_max = int(sys.argv[2])
rows = [r for r in csv.DictReader(open('data/manifest.csv')) if r['split'] == split and int(r['gray']) == 0
        and min(int(r['final_w']), int(r['final_h'])) >= 256]
sm = [r for r in rows if float(r['flat']) > 0.6][:n_max]
ot = [r for r in rows if float(r['flat']) < 0.3][:n_max]
K = {25: 0.5, 50: 0.3}
for label, grp in (("smooth (flat > 0.6)", sm), ("textured (flat < 0.3)", ot)):
    photos = ['data/' + r['file'] for r in grp]
    rep = json.loads(subprocess.run(['.build/release/ram', 'eval', *photos, '--kinds', 'noise:25,noise:50', '--crop-to', '256',
                                     '--json', '--weights', sys.argv[3]], check=True, stdout=subprocess.PIPE, text=True,
                                    env=dict(os.environ, RAM_THREADS='1')).stdout)
    for sig in (25, 50):
        d = []
        for i, p in enumerate(photos):
            row = [x for x in rep['rows'] if x['kind'] == f'noise:{sig}' and x['image'] == os.path.basename(p)][0]
            # the same degraded 8-bit image as ram eval: ram degrade with seed i
            im = Image.open(p).convert('RGB')
            w, h = im.size; y0, x0 = (h - 256) // 2, (w - 256) // 2
            im.crop((x0, y0, x0 + 256, y0 + 256)).save(os.path.join(TMP, 'crop.png'))
            subprocess.run(['.build/release/ram', 'degrade', os.path.join(TMP, 'crop.png'), os.path.join(TMP, 'noisy.png'), '--kind', f'noise:{sig}',
                            '--seed', str(i), '--force'], check=True, stdout=subprocess.DEVNULL)
            c = np.asarray(Image.open(os.path.join(TMP, 'crop.png')), np.float64) / 255
            n = np.asarray(Image.open(os.path.join(TMP, 'noisy.png')).convert('RGB'), np.float64) / 255
            assert abs(psnr(c, n, data_range=1) - row['inputPSNR']) < 0.05, (psnr(c, n, data_range=1), row['inputPSNR'])
            s = sig / 255
            out = denoise_nl_means(n, h=K[sig] * s, sigma=s, fast_mode=True, patch_size=5, patch_distance=6, channel_axis=-1)
            d.append(row['restoredPSNR'] - psnr(c, np.clip(out, 0, 1), data_range=1))
        print(f"{split} {label:22s} n={len(photos):2d} sigma {sig}: ram - NLM mean {np.mean(d):+.2f} dB, worst {min(d):+.2f}")
