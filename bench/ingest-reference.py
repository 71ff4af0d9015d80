#!/usr/bin/env python3
"""The baseline our ingest is measured against: what `pycocotools.coco.COCO(annotation_file)` does.

pycocotools cannot be installed here, so this mirrors its COCO.__init__ (json.load of the whole
file, with the same open() call) and COCO.createIndex (same dicts, same loops, same order)
using the standard library only. Its progress messages go to stderr; stdout gets one JSON line:
{"load_seconds", "index_seconds", "total_seconds", "cpu_seconds", "peak_rss_mb", "images", "annotations", "categories", "python"}.

    python3 bench/ingest-reference.py PATH/TO/instances_train2017.json
"""

import json
import platform
import resource
import sys
import time
from collections import defaultdict


def log(message):
    print(message, file=sys.stderr, flush=True)


def load(annotation_file):
    """pycocotools COCO.__init__: load the dataset and check its type."""
    log('loading annotations into memory...')
    tic = time.time()
    with open(annotation_file, 'r') as f:
        dataset = json.load(f)
    assert type(dataset) == dict, 'annotation file format {} not supported'.format(type(dataset))
    log('Done (t={:0.2f}s)'.format(time.time() - tic))
    return dataset


def create_index(dataset):
    """pycocotools COCO.createIndex, line for line."""
    log('creating index...')
    anns, cats, imgs = {}, {}, {}
    imgToAnns, catToImgs = defaultdict(list), defaultdict(list)
    if 'annotations' in dataset:
        for ann in dataset['annotations']:
            imgToAnns[ann['image_id']].append(ann)
            anns[ann['id']] = ann

    if 'images' in dataset:
        for img in dataset['images']:
            imgs[img['id']] = img

    if 'categories' in dataset:
        for cat in dataset['categories']:
            cats[cat['id']] = cat

    if 'annotations' in dataset and 'categories' in dataset:
        for ann in dataset['annotations']:
            catToImgs[ann['category_id']].append(ann['image_id'])

    log('index created!')
    return anns, cats, imgs, imgToAnns, catToImgs


def peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == 'darwin' else peak / 1024


def main(argv):
    if len(argv) != 2:
        print('usage: ingest-reference.py ANNOTATION_FILE', file=sys.stderr)
        return 2
    started = time.perf_counter()
    dataset = load(argv[1])
    loaded = time.perf_counter()
    anns, cats, imgs, _imgToAnns, _catToImgs = create_index(dataset)
    indexed = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        'load_seconds': round(loaded - started, 3),
        'index_seconds': round(indexed - loaded, 3),
        'total_seconds': round(indexed - started, 3),
        # CPU time (user + system) is less disturbed than wall time when the machine is busy.
        'cpu_seconds': round(usage.ru_utime + usage.ru_stime, 3),
        'peak_rss_mb': round(peak_rss_mb(), 1),
        'images': len(imgs),
        'annotations': len(anns),
        'categories': len(cats),
        'python': platform.python_version(),
    }), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
