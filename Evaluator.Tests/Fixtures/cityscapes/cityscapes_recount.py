#!/usr/bin/python3
"""Independent recount of cityscapesScripts' evalPixelLevelSemanticLabeling.py (mcordts/cityscapesScripts
0bcc4a7) for the evaluator's --protocol cityscapes tests: it follows the script's code line by line
(evaluatePair's python path, generateInstanceStats and the score functions), with its label table and
avgClassSize copied in (PyPI, and so the package, is not reachable here).

  cityscapes_recount.py generate ROOT          writes ROOT/gtFine/val/<city>/... and ROOT/pred/...
  cityscapes_recount.py recount GT PRED OUT    the script's result dict as OUT (json.dumps as the script)
  cityscapes_recount.py compare EXPECTED OURS REPORT
                                               every value of OURS within 1e-9 of EXPECTED, confMatrix exact,
                                               and the evaluator's REPORT fields equal to them
"""
import fnmatch
import json
import math
import os
import sys
from collections import namedtuple

import numpy as np
from PIL import Image

Label = namedtuple('Label', ['name', 'id', 'trainId', 'category', 'categoryId', 'hasInstances', 'ignoreInEval', 'color'])
labels = [
    Label('unlabeled', 0, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('ego vehicle', 1, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('rectification border', 2, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('out of roi', 3, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('static', 4, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('dynamic', 5, 255, 'void', 0, False, True, (111, 74, 0)),
    Label('ground', 6, 255, 'void', 0, False, True, (81, 0, 81)),
    Label('road', 7, 0, 'flat', 1, False, False, (128, 64, 128)),
    Label('sidewalk', 8, 1, 'flat', 1, False, False, (244, 35, 232)),
    Label('parking', 9, 255, 'flat', 1, False, True, (250, 170, 160)),
    Label('rail track', 10, 255, 'flat', 1, False, True, (230, 150, 140)),
    Label('building', 11, 2, 'construction', 2, False, False, (70, 70, 70)),
    Label('wall', 12, 3, 'construction', 2, False, False, (102, 102, 156)),
    Label('fence', 13, 4, 'construction', 2, False, False, (190, 153, 153)),
    Label('guard rail', 14, 255, 'construction', 2, False, True, (180, 165, 180)),
    Label('bridge', 15, 255, 'construction', 2, False, True, (150, 100, 100)),
    Label('tunnel', 16, 255, 'construction', 2, False, True, (150, 120, 90)),
    Label('pole', 17, 5, 'object', 3, False, False, (153, 153, 153)),
    Label('polegroup', 18, 255, 'object', 3, False, True, (153, 153, 153)),
    Label('traffic light', 19, 6, 'object', 3, False, False, (250, 170, 30)),
    Label('traffic sign', 20, 7, 'object', 3, False, False, (220, 220, 0)),
    Label('vegetation', 21, 8, 'nature', 4, False, False, (107, 142, 35)),
    Label('terrain', 22, 9, 'nature', 4, False, False, (152, 251, 152)),
    Label('sky', 23, 10, 'sky', 5, False, False, (70, 130, 180)),
    Label('person', 24, 11, 'human', 6, True, False, (220, 20, 60)),
    Label('rider', 25, 12, 'human', 6, True, False, (255, 0, 0)),
    Label('car', 26, 13, 'vehicle', 7, True, False, (0, 0, 142)),
    Label('truck', 27, 14, 'vehicle', 7, True, False, (0, 0, 70)),
    Label('bus', 28, 15, 'vehicle', 7, True, False, (0, 60, 100)),
    Label('caravan', 29, 255, 'vehicle', 7, True, True, (0, 0, 90)),
    Label('trailer', 30, 255, 'vehicle', 7, True, True, (0, 0, 110)),
    Label('train', 31, 16, 'vehicle', 7, True, False, (0, 80, 100)),
    Label('motorcycle', 32, 17, 'vehicle', 7, True, False, (0, 0, 230)),
    Label('bicycle', 33, 18, 'vehicle', 7, True, False, (119, 11, 32)),
    Label('license plate', -1, -1, 'vehicle', 7, False, True, (0, 0, 142)),
]
id2label = {label.id: label for label in labels}
category2labels = {}
for label in labels:
    category2labels.setdefault(label.category, []).append(label)

avgClassSize = {
    "bicycle": 4672.3249222261,
    "caravan": 36771.8241758242,
    "motorcycle": 6298.7200839748,
    "rider": 3930.4788056518,
    "bus": 35732.1511111111,
    "train": 67583.7075812274,
    "car": 12794.0202738185,
    "person": 3462.4756337644,
    "truck": 27855.1264367816,
    "trailer": 16926.9763313609,
}


class Args(object):
    pass


# ---- the script's functions ------------------------------------------------------------------

def generateMatrix(args):
    args.evalLabels = []
    for label in labels:
        if label.id < 0:
            continue
        args.evalLabels.append(label.id)
    maxId = max(args.evalLabels)
    return np.zeros(shape=(maxId + 1, maxId + 1), dtype=np.ulonglong)


def generateInstanceStats(args):
    instanceStats = {"classes": {}, "categories": {}}
    for label in labels:
        if label.hasInstances and not label.ignoreInEval:
            instanceStats["classes"][label.name] = {"tp": 0.0, "tpWeighted": 0.0, "fn": 0.0, "fnWeighted": 0.0}
    for category in category2labels:
        labelIds = []
        allInstances = True
        for label in category2labels[category]:
            if label.id < 0:
                continue
            if not label.hasInstances:
                allInstances = False
                break
            labelIds.append(label.id)
        if not allInstances:
            continue
        instanceStats["categories"][category] = {"tp": 0.0, "tpWeighted": 0.0, "fn": 0.0, "fnWeighted": 0.0,
                                                 "labelIds": labelIds}
    return instanceStats


def getIouScoreForLabel(label, confMatrix, args):
    if id2label[label].ignoreInEval:
        return float('nan')
    tp = np.longlong(confMatrix[label, label])
    fn = np.longlong(confMatrix[label, :].sum()) - tp
    notIgnored = [l for l in args.evalLabels if not id2label[l].ignoreInEval and not l == label]
    fp = np.longlong(confMatrix[notIgnored, label].sum())
    denom = (tp + fp + fn)
    if denom == 0:
        return float('nan')
    return float(tp) / denom


def getInstanceIouScoreForLabel(label, confMatrix, instStats, args):
    if id2label[label].ignoreInEval:
        return float('nan')
    labelName = id2label[label].name
    if labelName not in instStats["classes"]:
        return float('nan')
    tp = instStats["classes"][labelName]["tpWeighted"]
    fn = instStats["classes"][labelName]["fnWeighted"]
    notIgnored = [l for l in args.evalLabels if not id2label[l].ignoreInEval and not l == label]
    fp = np.longlong(confMatrix[notIgnored, label].sum())
    denom = (tp + fp + fn)
    if denom == 0:
        return float('nan')
    return float(tp) / denom


def getPrior(label, confMatrix):
    return float(confMatrix[label, :].sum()) / confMatrix.sum()


def getScoreAverage(scoreList, args):
    validScores = 0
    scoreSum = 0.0
    for score in scoreList:
        if not math.isnan(scoreList[score]):
            validScores += 1
            scoreSum += scoreList[score]
    if validScores == 0:
        return float('nan')
    return scoreSum / validScores


def getIouScoreForCategory(category, confMatrix, args):
    labels_ = category2labels[category]
    labelIds = [label.id for label in labels_ if not label.ignoreInEval and label.id in args.evalLabels]
    if not labelIds:
        return float('nan')
    tp = np.longlong(confMatrix[labelIds, :][:, labelIds].sum())
    fn = np.longlong(confMatrix[labelIds, :].sum()) - tp
    notIgnoredAndNotInCategory = [l for l in args.evalLabels if not id2label[l].ignoreInEval and id2label[l].category != category]
    fp = np.longlong(confMatrix[notIgnoredAndNotInCategory, :][:, labelIds].sum())
    denom = (tp + fp + fn)
    if denom == 0:
        return float('nan')
    return float(tp) / denom


def getInstanceIouScoreForCategory(category, confMatrix, instStats, args):
    if category not in instStats["categories"]:
        return float('nan')
    labelIds = instStats["categories"][category]["labelIds"]
    tp = instStats["categories"][category]["tpWeighted"]
    fn = instStats["categories"][category]["fnWeighted"]
    notIgnoredAndNotInCategory = [l for l in args.evalLabels if not id2label[l].ignoreInEval and id2label[l].category != category]
    fp = np.longlong(confMatrix[notIgnoredAndNotInCategory, :][:, labelIds].sum())
    denom = (tp + fp + fn)
    if denom == 0:
        return float('nan')
    return float(tp) / denom


def evaluatePair(predictionImgFileName, groundTruthImgFileName, confMatrix, instanceStats, args):
    predictionNp = np.array(Image.open(predictionImgFileName))
    groundTruthNp = np.array(Image.open(groundTruthImgFileName))
    instanceNp = np.array(Image.open(groundTruthImgFileName.replace("labelIds", "instanceIds")))
    assert predictionNp.shape == groundTruthNp.shape and len(predictionNp.shape) == 2
    nbPixels = predictionNp.shape[0] * predictionNp.shape[1]

    # the slower python way
    encoding_value = max(groundTruthNp.max(), predictionNp.max()).astype(np.int32) + 1
    encoded = (groundTruthNp.astype(np.int32) * encoding_value) + predictionNp
    values, cnt = np.unique(encoded, return_counts=True)
    for value, c in zip(values, cnt):
        pred_id = value % encoding_value
        gt_id = int((value - pred_id) / encoding_value)
        if gt_id not in args.evalLabels:
            raise SystemExit("Unknown label with id {:}".format(gt_id))
        confMatrix[gt_id][pred_id] += c

    categoryMasks = {}
    for category in instanceStats["categories"]:
        categoryMasks[category] = np.in1d(predictionNp, instanceStats["categories"][category]["labelIds"]).reshape(predictionNp.shape)

    instList = np.unique(instanceNp[instanceNp > 1000])
    for instId in instList:
        labelId = int(instId / 1000)
        label = id2label[labelId]
        if label.ignoreInEval:
            continue
        mask = instanceNp == instId
        instSize = np.count_nonzero(mask)
        tp = np.count_nonzero(predictionNp[mask] == labelId)
        fn = instSize - tp
        weight = avgClassSize[label.name] / float(instSize)
        tpWeighted = float(tp) * weight
        fnWeighted = float(fn) * weight
        instanceStats["classes"][label.name]["tp"] += tp
        instanceStats["classes"][label.name]["fn"] += fn
        instanceStats["classes"][label.name]["tpWeighted"] += tpWeighted
        instanceStats["classes"][label.name]["fnWeighted"] += fnWeighted
        category = label.category
        if category in instanceStats["categories"]:
            catTp = np.count_nonzero(np.logical_and(mask, categoryMasks[category]))
            catFn = instSize - catTp
            instanceStats["categories"][category]["tp"] += catTp
            instanceStats["categories"][category]["fn"] += catFn
            instanceStats["categories"][category]["tpWeighted"] += float(catTp) * weight
            instanceStats["categories"][category]["fnWeighted"] += float(catFn) * weight
    return nbPixels


def getPrediction(predictionWalk, groundTruthFile):
    parts = os.path.basename(groundTruthFile).split('_')
    filePattern = "{}_{}_{}*.png".format(parts[0], parts[1], parts[2])
    predictionFile = None
    for root, filenames in predictionWalk:
        for filename in fnmatch.filter(filenames, filePattern):
            if predictionFile:
                raise SystemExit("Found multiple predictions for ground truth {}".format(groundTruthFile))
            predictionFile = os.path.join(root, filename)
    if not predictionFile:
        raise SystemExit("Found no prediction for ground truth {}".format(groundTruthFile))
    return predictionFile


def recount(gtRoot, predRoot):
    args = Args()
    gts = []
    for root, _, files in os.walk(gtRoot):
        gts += [os.path.join(root, f) for f in fnmatch.filter(files, "*_gtFine_labelIds.png")]
    walk = [(root, files) for root, _, files in os.walk(predRoot)]
    preds = [getPrediction(walk, gt) for gt in gts]
    confMatrix = generateMatrix(args)
    instStats = generateInstanceStats(args)
    nbPixels = 0
    for pred, gt in zip(preds, gts):
        nbPixels += evaluatePair(pred, gt, confMatrix, instStats, args)
        assert confMatrix.sum() == nbPixels
    classScoreList = {}
    for label in args.evalLabels:
        classScoreList[id2label[label].name] = getIouScoreForLabel(label, confMatrix, args)
    classInstScoreList = {}
    for label in args.evalLabels:
        classInstScoreList[id2label[label].name] = getInstanceIouScoreForLabel(label, confMatrix, instStats, args)
    categoryScoreList = {}
    for category in category2labels.keys():
        categoryScoreList[category] = getIouScoreForCategory(category, confMatrix, args)
    categoryInstScoreList = {}
    for category in category2labels.keys():
        categoryInstScoreList[category] = getInstanceIouScoreForCategory(category, confMatrix, instStats, args)
    wholeData = {"confMatrix": confMatrix.tolist(), "priors": {}, "labels": {}}
    for label in args.evalLabels:
        wholeData["priors"][id2label[label].name] = getPrior(label, confMatrix)
        wholeData["labels"][id2label[label].name] = label
    wholeData["classScores"] = classScoreList
    wholeData["classInstScores"] = classInstScoreList
    wholeData["categoryScores"] = categoryScoreList
    wholeData["categoryInstScores"] = categoryInstScoreList
    wholeData["averageScoreClasses"] = getScoreAverage(classScoreList, args)
    wholeData["averageScoreInstClasses"] = getScoreAverage(classInstScoreList, args)
    wholeData["averageScoreCategories"] = getScoreAverage(categoryScoreList, args)
    wholeData["averageScoreInstCategories"] = getScoreAverage(categoryInstScoreList, args)
    return wholeData


# ---- the test tree ---------------------------------------------------------------------------

def blobs(rng, h, w, values, count):
    """A label image of rectangles and discs of the given values over a background of values[0]."""
    img = np.full((h, w), values[0], dtype=np.int64)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(count):
        v = values[rng.integers(len(values))]
        if rng.random() < 0.5:
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            img[y0:y0 + rng.integers(2, h // 2), x0:x0 + rng.integers(2, w // 2)] = v
        else:
            cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(2, h // 3)
            img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = v
    return img


def generate(root, seed=7, h=64, w=128):
    rng = np.random.default_rng(seed)
    stuff = list(range(0, 24))              # every id without instances, ignored ones included
    things = list(range(24, 34))            # person..bicycle, caravan and trailer (ignoreInEval) included
    frames = [("aachen", "000000", "000019"), ("aachen", "000001", "000019"), ("aachen", "000002", "000123"),
              ("bochum", "000000", "001097"), ("bochum", "000010", "000313"), ("bochum", "000020", "026056")]
    for n, (city, seq, frame) in enumerate(frames):
        gtDir = os.path.join(root, "gtFine", "val", city)
        predDir = os.path.join(root, "pred", city if n % 2 == 0 else "")
        os.makedirs(gtDir, exist_ok=True)
        os.makedirs(predDir, exist_ok=True)
        label = blobs(rng, h, w, stuff, 14)
        inst = label.copy()
        # instances: id = labelId * 1000 + k; some classes get several, some a crowd region (id < 1000)
        for k in range(int(rng.integers(4, 9))):
            lid = things[rng.integers(len(things))]
            mask = blobs(rng, h, w, [0, 1], 2) == 1
            label[mask] = lid
            inst[mask] = lid * 1000 + k
        crowd = blobs(rng, h, w, [0, 1], 1) == 1
        lid = things[rng.integers(len(things))]
        label[crowd] = lid
        inst[crowd] = lid                    # a group region: labelId only, no instance
        if n == 0:                           # instances spanning the image edge to edge, fixed ids of the issue
            label[:, 0:5] = 26
            inst[:, 0:5] = 26001
            label[h - 4:h, :] = 24
            inst[h - 4:h, :] = 24003
            label[10:14, 20:40] = 29
            inst[10:14, 20:40] = 29001
        # the prediction: the label with noise, including ignored ids and confusions within categories
        pred = label.copy()
        noise = rng.random((h, w))
        pred[noise < 0.15] = rng.integers(0, 34, size=int((noise < 0.15).sum()))
        pred[(noise >= 0.15) & (noise < 0.2) & (label == 26)] = 27
        pred[(noise >= 0.2) & (noise < 0.25) & (label == 24)] = 25
        pred[(noise >= 0.25) & (noise < 0.3) & (label == 26)] = 29
        base = "{}_{}_{}".format(city, seq, frame)
        Image.fromarray(label.astype(np.uint8)).save(os.path.join(gtDir, base + "_gtFine_labelIds.png"))
        Image.fromarray(inst.astype(np.int32)).save(os.path.join(gtDir, base + "_gtFine_instanceIds.png"))
        Image.fromarray(pred.astype(np.uint8)).save(os.path.join(predDir, base + "_leftImg8bit.png"))


# ---- comparison ------------------------------------------------------------------------------

def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return b is not None and not (isinstance(b, float) and math.isnan(b)) and abs(a - b) <= 1e-9


def nullable(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def near(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9)


def compare(expectedPath, oursPath, reportPath):
    expected = json.load(open(expectedPath))
    ours = json.load(open(oursPath))
    report = json.load(open(reportPath))
    errors = []
    keys = ["classScores", "classInstScores", "categoryScores", "categoryInstScores", "averageScoreClasses",
            "averageScoreInstClasses", "averageScoreCategories", "averageScoreInstCategories", "confMatrix", "priors", "labels"]
    if sorted(ours.keys()) != sorted(keys):
        errors.append("keys {} != {}".format(sorted(ours.keys()), sorted(keys)))
    if ours["confMatrix"] != expected["confMatrix"]:
        errors.append("confMatrix differs")
    if ours["labels"] != expected["labels"]:
        errors.append("labels differ")
    for key in ["classScores", "classInstScores", "categoryScores", "categoryInstScores", "priors"]:
        if sorted(ours[key].keys()) != sorted(expected[key].keys()):
            errors.append("{}: names differ".format(key))
            continue
        for name in expected[key]:
            if not same(expected[key][name], ours[key][name]):
                errors.append("{}[{}]: {} != {}".format(key, name, ours[key][name], expected[key][name]))
    for key in ["averageScoreClasses", "averageScoreInstClasses", "averageScoreCategories", "averageScoreInstCategories"]:
        if not same(expected[key], ours[key]):
            errors.append("{}: {} != {}".format(key, ours[key], expected[key]))
    # the evaluator's report says the same values (NaN as null)
    if report.get("protocol") != "cityscapes":
        errors.append("report: protocol is {}".format(report.get("protocol")))
    for c in report["per_class"]:
        if not near(nullable(expected["classScores"][c["name"]]), c["iou"]):
            errors.append("report per_class[{}].iou {}".format(c["name"], c["iou"]))
        if not near(nullable(expected["classInstScores"][c["name"]]), c["iiou"]):
            errors.append("report per_class[{}].iiou {}".format(c["name"], c["iiou"]))
    for c in report["categories"]:
        if not near(nullable(expected["categoryScores"][c["name"]]), c["iou"]):
            errors.append("report categories[{}].iou {}".format(c["name"], c["iou"]))
        if not near(nullable(expected["categoryInstScores"][c["name"]]), c["iiou"]):
            errors.append("report categories[{}].iiou {}".format(c["name"], c["iiou"]))
    for field, key in [("mean_iou", "averageScoreClasses"), ("mean_iiou", "averageScoreInstClasses"),
                       ("mean_category_iou", "averageScoreCategories"), ("mean_category_iiou", "averageScoreInstCategories")]:
        if not near(nullable(expected[key]), report[field]):
            errors.append("report {} {} != {}".format(field, report[field], expected[key]))
    if report["confusion_matrix"] != expected["confMatrix"]:
        errors.append("report confusion_matrix differs")
    # the tree must exercise what the protocol is about
    checks = [sum(1 for v in expected["classInstScores"].values() if not math.isnan(v)) >= 6,
              not math.isnan(expected["categoryInstScores"]["vehicle"]), not math.isnan(expected["categoryInstScores"]["human"])]
    if not all(checks):
        errors.append("the generated tree does not exercise iIoU: {}".format(checks))
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK: {} classes, {} categories, {} pixels".format(len(expected["classScores"]), len(expected["categoryScores"]),
                                                          sum(map(sum, expected["confMatrix"]))))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    elif sys.argv[1] == "recount":
        data = recount(sys.argv[2], sys.argv[3])
        with open(sys.argv[4], "w") as f:
            f.write(json.dumps(data, default=lambda o: o.__dict__, sort_keys=True, indent=4))
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
