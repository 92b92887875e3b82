#!/usr/bin/env python3
"""Writes the .proto files of TensorBoard's event format, read off the `tensorboard` pip package.

The package vendors TensorFlow's protos only as compiled `*_pb2.py` modules; their embedded
descriptors are the exact schema, and this script prints them back as .proto text (messages,
nested types, enums, oneofs, maps, reserved ranges; comments are not in descriptors). Used by
tools/generate-protos.sh; not needed by the build or the tests.

    python tools/extract-tensorboard-protos.py OUTDIR
"""
import os
import sys

from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2

TYPES = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool",
    9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}


def field_type(f):
    return f.type_name if f.type_name else TYPES[f.type]


def render_enum(e, indent):
    p = "  " * indent
    out = [f"{p}enum {e.name} {{"]
    if e.options.allow_alias:
        out.append(f"{p}  option allow_alias = true;")
    for v in e.value:
        out.append(f"{p}  {v.name} = {v.number};")
    for r in e.reserved_range:
        out.append(f"{p}  reserved {r.start} to {r.end};" if r.end != r.start else f"{p}  reserved {r.start};")
    out.append(f"{p}}}")
    return out


def render_field(f, maps, indent, syntax):
    p = "  " * indent
    opts = []
    if f.options.deprecated:
        opts.append("deprecated = true")
    if f.options.HasField("packed") and syntax == "proto2":
        opts.append(f"packed = {'true' if f.options.packed else 'false'}")
    suffix = f" [{', '.join(opts)}]" if opts else ""
    if f.type_name in maps:
        k, v = maps[f.type_name]
        return f"{p}map<{field_type(k)}, {field_type(v)}> {f.name} = {f.number}{suffix};"
    label = ""
    if f.label == 3:
        label = "repeated "
    elif syntax == "proto2":
        label = "required " if f.label == 2 else "optional "
    elif f.proto3_optional:
        label = "optional "
    return f"{p}{label}{field_type(f)} {f.name} = {f.number}{suffix};"


def render_message(m, prefix, indent, syntax):
    p = "  " * indent
    full = f"{prefix}.{m.name}"
    maps = {f"{full}.{n.name}": (n.field[0], n.field[1]) for n in m.nested_type if n.options.map_entry}
    out = [f"{p}message {m.name} {{"]
    for e in m.enum_type:
        out += render_enum(e, indent + 1)
    for n in m.nested_type:
        if not n.options.map_entry:
            out += render_message(n, full, indent + 1, syntax)
    real_oneofs = {}
    for f in m.field:
        if f.HasField("oneof_index") and not f.proto3_optional:
            real_oneofs.setdefault(f.oneof_index, []).append(f)
    emitted = set()
    for f in m.field:
        if f.HasField("oneof_index") and not f.proto3_optional:
            if f.oneof_index in emitted:
                continue
            emitted.add(f.oneof_index)
            out.append(f"{p}  oneof {m.oneof_decl[f.oneof_index].name} {{")
            out += [render_field(g, maps, indent + 2, "proto3") for g in real_oneofs[f.oneof_index]]
            out.append(f"{p}  }}")
        else:
            out.append(render_field(f, maps, indent + 1, syntax))
    for r in m.reserved_range:
        out.append(f"{p}  reserved {r.start} to {r.end - 1};" if r.end - 1 != r.start else f"{p}  reserved {r.start};")
    for n in m.reserved_name:
        out.append(f'{p}  reserved "{n}";')
    out.append(f"{p}}}")
    return out


def render_file(fd):
    proto = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(proto)
    syntax = proto.syntax or "proto2"
    out = [f"// Read off the tensorboard pip package's {os.path.basename(proto.name).replace('.proto', '_pb2.py')}"
           " by tools/extract-tensorboard-protos.py.",
           f'syntax = "{syntax}";', "", f"package {proto.package};", ""]
    for d in proto.dependency:
        out.append(f'import "{d}";')
    if proto.dependency:
        out.append("")
    for e in proto.enum_type:
        out += render_enum(e, 0) + [""]
    for m in proto.message_type:
        out += render_message(m, f".{proto.package}", 0, syntax) + [""]
    return "\n".join(out)


def main():
    outdir = sys.argv[1]
    seen = {}

    def walk(fd):
        if fd.name not in seen:
            seen[fd.name] = fd
            for d in fd.dependencies:
                walk(d)

    walk(event_pb2.DESCRIPTOR)
    for name, fd in sorted(seen.items()):
        path = os.path.join(outdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(render_file(fd))
        print("wrote", path)


if __name__ == "__main__":
    main()
