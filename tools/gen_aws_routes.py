#!/usr/bin/env python3
"""tools/gen_aws_routes.py — generates the AWS operation and route tables that
classifiers/aws_*.cpp look requests up in (../shared/classifier-rules.md §1).

Input: the botocore service models shipped by Debian's python3-botocore
(/usr/lib/python3/dist-packages/botocore/data/<service>/<version>/service-2.json),
newest version of each service. Output: one C++ file of plain arrays of string
literals (classifiers/aws_model.h declares them), run by a meson custom_target
at build time. Nothing here is typed by hand per operation.

Per service: signing name, endpoint prefix, IAM prefix (the signing name, but
the service's own name where the signing name is shared: IoT signs as
execute-api), JSON target prefix, API version, protocol. Per operation:
its name and where its primary identifier sits. Per REST operation: a route
(method, path template, required query keys, required headers), sorted so that
the first route that matches a request is the most specific one.
"""
import argparse
import json
import os
import sys

PROTOCOLS = {"query": "query", "ec2": "ec2", "json": "json",
             "rest-json": "rest_json", "rest-xml": "rest_xml"}

# classifier-rules.md §1 "Operation string for the dialog": the primary
# identifier is the first required member whose name ends like this.
IDENTIFIER_SUFFIXES = ("Identifier", "Name", "Id", "Arn", "Bucket", "Key",
                       "FunctionName", "TableName")


def newest_models(data_dir):
    for service in sorted(os.listdir(data_dir)):
        service_dir = os.path.join(data_dir, service)
        if not os.path.isdir(service_dir):
            continue
        versions = sorted(v for v in os.listdir(service_dir)
                          if os.path.isfile(os.path.join(service_dir, v, "service-2.json")))
        if versions:
            yield service, os.path.join(service_dir, versions[-1], "service-2.json")


def wire_name(member_name, member, protocol):
    """The name a member carries on the wire (form key, JSON key, XML element)."""
    if protocol == "ec2":
        if "queryName" in member:
            return member["queryName"]
        if "locationName" in member:
            name = member["locationName"]
            return name[:1].upper() + name[1:]
        return member_name
    if protocol == "query":
        return member_name
    return member.get("locationName", member_name)


def primary_identifier(model, operation, protocol):
    """'u:Label', 'q:key', 'h:header' or 'b:Key', or '' if none qualifies."""
    shape_name = operation.get("input", {}).get("shape")
    if not shape_name:
        return ""
    shape = model["shapes"][shape_name]
    members = shape.get("members", {})
    for name in shape.get("required", []):
        if not name.endswith(IDENTIFIER_SUFFIXES) or name not in members:
            continue
        member = members[name]
        location = member.get("location")
        if location == "uri":
            return "u:" + member.get("locationName", name)
        if location == "querystring":
            return "q:" + member.get("locationName", name)
        if location == "header":
            return "h:" + member.get("locationName", name).lower()
        if location is None:
            return "b:" + wire_name(name, member, protocol)
    return ""


def route_constraints(model, operation):
    """Static query keys of the template plus required query members; required headers."""
    uri = operation["http"]["requestUri"]
    path, _, static_query = uri.partition("?")
    query_keys = [part for part in static_query.split("&") if part]
    headers = []
    shape_name = operation.get("input", {}).get("shape")
    if shape_name:
        shape = model["shapes"][shape_name]
        members = shape.get("members", {})
        for name in shape.get("required", []):
            member = members.get(name, {})
            if member.get("location") == "querystring":
                key = member.get("locationName", name)
                if key not in [k.split("=")[0] for k in query_keys]:
                    query_keys.append(key)
            elif member.get("location") == "header":
                headers.append(member.get("locationName", name).lower())
    return path, query_keys, headers


def route_specificity(path, query_keys, headers):
    """Larger sorts first: more literal segments, then more constraints, then fewer greedy labels."""
    segments = [s for s in path.split("/") if s]
    literals = sum(1 for s in segments if "{" not in s)
    greedy = sum(1 for s in segments if s.endswith("+}"))
    return (literals, len(query_keys) + len(headers), -greedy, len(segments))


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Signing names that several unrelated services share: IoT and Connect
# Participant sign as API Gateway's "execute-api". Their operations are named
# by their own service ("iot:DeleteThing", as IAM names them), not the signer.
SHARED_SIGNING_NAMES = {"execute-api"}


def iam_prefix(service, signing):
    return service if signing in SHARED_SIGNING_NAMES else signing


def load_services(data_dir):
    services = []
    for service, path in newest_models(data_dir):
        with open(path, encoding="utf-8") as f:
            model = json.load(f)
        metadata = model["metadata"]
        protocol = metadata["protocol"]
        if protocol not in PROTOCOLS:
            print(f"gen_aws_routes: skipping {service}: unknown protocol {protocol}", file=sys.stderr)
            continue
        signing = metadata.get("signingName", metadata["endpointPrefix"])
        operations = []
        routes = []
        for name, operation in model["operations"].items():
            operations.append((name, primary_identifier(model, operation, protocol)))
            if protocol in ("rest-json", "rest-xml"):
                route_path, query_keys, headers = route_constraints(model, operation)
                # Identical routes (S3's deprecated GetBucketNotification and its
                # successor): the current, non-deprecated operation sorts first.
                specificity = route_specificity(route_path, query_keys, headers) + \
                    (0 if operation.get("deprecated") else 1,)
                routes.append((specificity, operation["http"]["method"], route_path,
                               "&".join(query_keys), ",".join(headers), name))
        operations.sort(key=lambda item: (item[0].lower(), item[0]))
        routes.sort(key=lambda r: (r[0], r[5]), reverse=True)
        services.append({
            "directory": service, "signing": signing, "endpoint": metadata["endpointPrefix"],
            "iam": iam_prefix(service, signing), "target": metadata.get("targetPrefix", ""),
            "version": metadata.get("apiVersion", ""), "protocol": PROTOCOLS[protocol],
            "operations": operations, "routes": routes,
        })
    services.sort(key=lambda s: (s["signing"], s["endpoint"], s["directory"]))
    return services


def emit(services, out):
    out.write("// Generated by tools/gen_aws_routes.py from python3-botocore's service models.\n"
              "// Do not edit: change the script and rebuild.\n"
              '#include "classifiers/aws_model.h"\n\n'
              "namespace askfirst::classifiers::aws_model {\n\n")
    operation_rows, route_rows, service_rows = [], [], []
    for service in services:
        first_operation = len(operation_rows)
        index_of = {}
        for name, identifier in service["operations"]:
            index_of[name] = len(operation_rows)
            operation_rows.append(f"{{{c_string(name)}, {c_string(identifier)}}}")
        first_route = len(route_rows)
        for _, method, path, query, headers, name in service["routes"]:
            route_rows.append(f"{{{c_string(method)}, {c_string(path)}, {c_string(query)}, "
                              f"{c_string(headers)}, {index_of[name]}}}")
        service_rows.append(
            f"{{{c_string(service['signing'])}, {c_string(service['endpoint'])}, "
            f"{c_string(service['iam'])}, {c_string(service['target'])}, "
            f"{c_string(service['version'])}, Protocol::{service['protocol']}, "
            f"{first_operation}, {len(service['operations'])}, {first_route}, {len(service['routes'])}}}")
    if len(operation_rows) > 0xFFFF or len(route_rows) > 0xFFFF:
        sys.exit("gen_aws_routes: more than 65535 operations or routes; widen the index types in aws_model.h")
    by_endpoint = sorted(range(len(services)), key=lambda i: services[i]["endpoint"])
    by_target = sorted((i for i in range(len(services)) if services[i]["target"]),
                       key=lambda i: services[i]["target"])
    for name, rows in (("Operation kOperations", operation_rows), ("Route kRoutes", route_rows),
                       ("Service kServices", service_rows)):
        out.write(f"const {name}[] = {{\n")
        out.write("".join(f"    {row},\n" for row in rows))
        out.write("};\n\n")
    for name, rows in (("kServicesByEndpointPrefix", by_endpoint), ("kServicesByTargetPrefix", by_target)):
        out.write(f"const std::uint16_t {name}[] = {{\n    ")
        out.write(", ".join(str(i) for i in rows))
        out.write("\n};\n\n")
    out.write("const ModelTables kModel{\n"
              "    {kServices, std::size(kServices)}, {kOperations, std::size(kOperations)},\n"
              "    {kRoutes, std::size(kRoutes)},\n"
              "    {kServicesByEndpointPrefix, std::size(kServicesByEndpointPrefix)},\n"
              "    {kServicesByTargetPrefix, std::size(kServicesByTargetPrefix)},\n"
              "};\n\n}  // namespace askfirst::classifiers::aws_model\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--botocore-data", default="/usr/lib/python3/dist-packages/botocore/data",
                        help="botocore's data directory (Debian: python3-botocore)")
    parser.add_argument("--output", required=True, help="C++ file to write")
    args = parser.parse_args()
    if not os.path.isdir(args.botocore_data):
        sys.exit(f"gen_aws_routes: {args.botocore_data} is not a directory; "
                 "install python3-botocore (apt-get install python3-botocore)")
    services = load_services(args.botocore_data)
    if not services:
        sys.exit(f"gen_aws_routes: no service-2.json found under {args.botocore_data}")
    with open(args.output, "w", encoding="utf-8") as out:
        emit(services, out)


if __name__ == "__main__":
    main()
