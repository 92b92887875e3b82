import SafeTensorsFormat
/// A pickle reader that builds data and never runs code, for the `data.pkl` of `torch.save`.
///
/// It knows the opcodes a state_dict is pickled with (protocols 2 to 5: PROTO, FRAME, MARK,
/// EMPTY_DICT/LIST/TUPLE, TUPLE/TUPLE1-3, SETITEM(S), APPEND(S), the BIN*/LONG1 ints,
/// BINFLOAT, NONE, NEWTRUE/NEWFALSE, the unicode and bytes strings, BINPUT/LONG_BINPUT/
/// MEMOIZE, BINGET/LONG_BINGET, GLOBAL/STACK_GLOBAL, REDUCE, BUILD, BINPERSID, STOP).
/// Everything that could make Python objects of arbitrary classes (INST, OBJ, NEWOBJ,
/// NEWOBJ_EX, EXT1/2/4, PERSID, ...) is refused, and so is any opcode not listed.
///
/// Globals are checked against `allowedGlobals` the moment they are read: any other
/// (`os.system`, `builtins.eval`, ...) stops the reading with `PickleError.refusedGlobal`.
/// An allowed global is only a name (`PickleValue.global`): what REDUCE, BUILD and persistent
/// ids mean is decided by the caller's `reduce`, `build` and `persistentLoad`, which see plain
/// values only.
public struct RestrictedUnpickler {
    /// `module.name` of every global the pickle may name.
    public var allowedGlobals: Set<String>
    /// REDUCE: the callable (an allowed global) and its argument tuple → the result.
    public var reduce: (_ module: String, _ name: String, _ arguments: [PickleValue]) throws -> PickleValue
    /// BUILD: the object and its state → the object (default: refuse).
    public var build: (_ object: PickleValue, _ state: PickleValue) throws -> PickleValue = { object, _ in
        throw PickleError.refused("BUILD (setting the state of \(object.kind))")
    }
    /// BINPERSID: the persistent id → the object it names (default: refuse).
    public var persistentLoad: (_ id: PickleValue) throws -> PickleValue = { _ in
        throw PickleError.refused("persistent ids (BINPERSID)")
    }

    public init(allowedGlobals: Set<String>,
                reduce: @escaping (_ module: String, _ name: String, _ arguments: [PickleValue]) throws -> PickleValue) {
        self.allowedGlobals = allowedGlobals
        self.reduce = reduce
    }

    /// Deepest nesting of containers accepted (a state_dict needs about 4); deeper pickles are
    /// refused rather than risking the stack when they are freed.
    ///
    /// What a hostile pickle can make the reader hold is bounded by its own size: every value,
    /// stack slot, mark and memo entry is made by an opcode of at least one byte (memo indices
    /// are dictionary keys, so LONG_BINPUT 4294967295 is one entry), lengths are checked against
    /// the bytes left before anything is copied, nothing is copied twice (a memo fetch shares),
    /// a container cannot be put into itself (no cycles), nested containers cannot change, and
    /// DUP and the other opcodes that repeat or build objects are refused.
    public static let maxDepth = 64

    /// A value on the stack with its nesting depth (tuples are values, lists and dicts keep theirs).
    private struct Item {
        var value: PickleValue
        var tupleDepth = 0
        init(_ value: PickleValue, depth: Int = 0) { self.value = value; self.tupleDepth = depth }
        var depth: Int {
            switch value {
            case .list(let l): return l.depth
            case .dict(let d): return d.depth
            default: return tupleDepth
            }
        }
        /// Marks a list or dict as nested: it may not change any more, so its depth is final.
        func seal() {
            if case .list(let l) = value { l.sealed = true }
            if case .dict(let d) = value { d.sealed = true }
        }
    }

    /// Reads one pickle from `bytes` and returns the value STOP finds on the stack.
    public func load(_ bytes: [UInt8]) throws -> PickleValue {
        var stack: [Item] = []
        var marks: [Int] = []
        var memo: [Int: Item] = [:]
        var p = 0

        func need(_ n: Int) throws -> Int {
            guard n >= 0, n <= bytes.count - p else { throw PickleError.truncated(at: p) }
            defer { p += n }
            return p
        }
        func u8() throws -> Int { Int(bytes[try need(1)]) }
        func uint(_ n: Int) throws -> UInt64 {
            let at = try need(n)
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return v
        }
        func length(_ n: Int) throws -> Int {
            let v = try uint(n)
            guard v <= UInt64(bytes.count) else { throw PickleError.truncated(at: p) }
            return Int(v)
        }
        func string(_ n: Int, at opcode: Int) throws -> String {
            let at = try need(n)
            guard let s = String(bytes: bytes[at..<(at + n)], encoding: .utf8) else { throw PickleError.malformed("invalid UTF-8 string", at: opcode) }
            return s
        }
        func line(at opcode: Int) throws -> String {
            guard let end = bytes[p...].firstIndex(of: 0x0A) else { throw PickleError.truncated(at: p) }
            let s = try string(end - p, at: opcode)
            p += 1
            return s
        }
        func pop(at opcode: Int) throws -> Item {
            guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw PickleError.malformed("stack underflow", at: opcode) }
            return v
        }
        func popMark(at opcode: Int) throws -> [Item] {
            guard let m = marks.popLast(), m <= stack.count else { throw PickleError.malformed("no MARK", at: opcode) }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            return items
        }
        func top(at opcode: Int) throws -> Item {
            guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw PickleError.malformed("empty stack", at: opcode) }
            return v
        }
        func global(_ module: String, _ name: String, at opcode: Int) throws -> PickleValue {
            guard allowedGlobals.contains("\(module).\(name)") else { throw PickleError.refusedGlobal("\(module).\(name)", at: opcode) }
            return .global(module: module, name: name)
        }
        /// The depth of a container of `items`, after checking the limit; nested lists and dicts are sealed.
        func nest(_ items: [Item], in depth: Int, at opcode: Int) throws -> Int {
            let d = max(depth, 1 + (items.map(\.depth).max() ?? 0))
            guard d <= Self.maxDepth else { throw PickleError.malformed("containers nested deeper than \(Self.maxDepth)", at: opcode) }
            items.forEach { $0.seal() }
            return d
        }
        func tuple(_ items: [Item], at opcode: Int) throws -> Item {
            Item(.tuple(items.map(\.value)), depth: try nest(items, in: 1, at: opcode))
        }
        func setItems(_ items: [Item], at opcode: Int) throws {
            guard items.count % 2 == 0 else { throw PickleError.malformed("odd number of items for SETITEMS", at: opcode) }
            guard case .dict(let d) = try top(at: opcode).value else { throw PickleError.malformed("SETITEM(S) on \(try top(at: opcode).value.kind)", at: opcode) }
            guard !d.sealed else { throw PickleError.malformed("SETITEM(S) on a dict already nested in another container", at: opcode) }
            guard !items.contains(where: { if case .dict(let x) = $0.value { return x === d } else { return false } }) else {
                throw PickleError.malformed("SETITEM(S) puts a dict into itself", at: opcode)
            }
            d.depth = try nest(items, in: d.depth, at: opcode)
            for i in stride(from: 0, to: items.count, by: 2) { d.set(items[i].value, items[i + 1].value) }
        }
        func append(_ items: [Item], at opcode: Int) throws {
            guard case .list(let l) = try top(at: opcode).value else { throw PickleError.malformed("APPEND(S) on \(try top(at: opcode).value.kind)", at: opcode) }
            guard !l.sealed else { throw PickleError.malformed("APPEND(S) on a list already nested in another container", at: opcode) }
            guard !items.contains(where: { if case .list(let x) = $0.value { return x === l } else { return false } }) else {
                throw PickleError.malformed("APPEND(S) puts a list into itself", at: opcode)
            }
            l.depth = try nest(items, in: l.depth, at: opcode)
            l.items.append(contentsOf: items.map(\.value))
        }
        /// The result of REDUCE, BUILD or a persistent id: as deep as what it was made of.
        func result(_ value: PickleValue, from depth: Int, at opcode: Int) throws -> Item {
            if case .list(let l) = value { l.depth = max(l.depth, depth) }
            if case .dict(let d) = value { d.depth = max(d.depth, depth) }
            let item = Item(value, depth: depth)
            guard item.depth <= Self.maxDepth else { throw PickleError.malformed("containers nested deeper than \(Self.maxDepth)", at: opcode) }
            return item
        }
        func memoize(_ index: Int, at opcode: Int) throws { memo[index] = try top(at: opcode) }
        func fetch(_ index: Int, at opcode: Int) throws {
            guard let v = memo[index] else { throw PickleError.malformed("memo entry \(index) was never stored", at: opcode) }
            stack.append(v)
        }

        while true {
            let at = p
            let opcode = try u8()
            switch opcode {
            case 0x80: // PROTO
                let version = try u8()
                guard version <= 5 else { throw PickleError.malformed("pickle protocol \(version) is not supported", at: at) }
            case 0x95: _ = try uint(8) // FRAME: a length hint only
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(Item(.dict(PickleDict()))) // EMPTY_DICT
            case 0x5D: stack.append(Item(.list(PickleList()))) // EMPTY_LIST
            case 0x29: stack.append(Item(.tuple([]), depth: 1)) // EMPTY_TUPLE
            case 0x74: stack.append(try tuple(try popMark(at: at), at: at)) // TUPLE
            case 0x85: stack.append(try tuple([try pop(at: at)], at: at)) // TUPLE1
            case 0x86: // TUPLE2
                let b = try pop(at: at), a = try pop(at: at)
                stack.append(try tuple([a, b], at: at))
            case 0x87: // TUPLE3
                let c = try pop(at: at), b = try pop(at: at), a = try pop(at: at)
                stack.append(try tuple([a, b, c], at: at))
            case 0x73: // SETITEM
                let value = try pop(at: at), key = try pop(at: at)
                try setItems([key, value], at: at)
            case 0x75: try setItems(try popMark(at: at), at: at) // SETITEMS
            case 0x61: try append([try pop(at: at)], at: at) // APPEND
            case 0x65: try append(try popMark(at: at), at: at) // APPENDS
            case 0x4E: stack.append(Item(.none)) // NONE
            case 0x88: stack.append(Item(.bool(true))) // NEWTRUE
            case 0x89: stack.append(Item(.bool(false))) // NEWFALSE
            case 0x4B: stack.append(Item(.int(try u8()))) // BININT1
            case 0x4D: stack.append(Item(.int(Int(try uint(2))))) // BININT2
            case 0x4A: stack.append(Item(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))) // BININT
            case 0x8A: // LONG1: little-endian two's complement of n bytes
                let n = try u8()
                guard n <= 8 else { throw PickleError.malformed("integer of \(n) bytes is too large", at: at) }
                var v = n == 0 ? 0 : try uint(n)
                if n > 0 && n < 8 && v & (1 << (8 * UInt64(n) - 1)) != 0 { v |= ~0 << (8 * UInt64(n)) }
                stack.append(Item(.int(Int(Int64(bitPattern: v)))))
            case 0x47: stack.append(Item(.float(Double(bitPattern: try uint(8).byteSwapped)))) // BINFLOAT (big-endian)
            case 0x58: stack.append(Item(.string(try string(try length(4), at: at)))) // BINUNICODE
            case 0x8C: stack.append(Item(.string(try string(try u8(), at: at)))) // SHORT_BINUNICODE
            case 0x8D: stack.append(Item(.string(try string(try length(8), at: at)))) // BINUNICODE8
            case 0x55: stack.append(Item(.string(try string(try u8(), at: at)))) // SHORT_BINSTRING
            case 0x43, 0x42, 0x8E: // SHORT_BINBYTES, BINBYTES, BINBYTES8
                let n = try length(opcode == 0x43 ? 1 : opcode == 0x42 ? 4 : 8)
                let start = try need(n)
                stack.append(Item(.bytes(Array(bytes[start..<(start + n)]))))
            case 0x71: try memoize(try u8(), at: at) // BINPUT
            case 0x72: try memoize(Int(try uint(4)), at: at) // LONG_BINPUT
            case 0x94: try memoize(memo.count, at: at) // MEMOIZE
            case 0x68: try fetch(try u8(), at: at) // BINGET
            case 0x6A: try fetch(Int(try uint(4)), at: at) // LONG_BINGET
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(at: at), name = try line(at: at)
                stack.append(Item(try global(module, name, at: at)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(at: at).value, module = try pop(at: at).value
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw PickleError.malformed("STACK_GLOBAL of \(module.kind) and \(name.kind)", at: at)
                }
                stack.append(Item(try global(m, n, at: at)))
            case 0x52: // REDUCE
                let arguments = try pop(at: at), callable = try pop(at: at).value
                guard case .global(let module, let name) = callable else { throw PickleError.refused("REDUCE of \(callable.kind)") }
                guard case .tuple(let args) = arguments.value else {
                    throw PickleError.malformed("REDUCE arguments are \(arguments.value.kind), not a tuple", at: at)
                }
                stack.append(try result(try reduce(module, name, args), from: arguments.depth, at: at))
            case 0x62: // BUILD
                let state = try pop(at: at), object = try pop(at: at)
                state.seal()
                stack.append(try result(try build(object.value, state.value), from: max(object.depth, state.depth), at: at))
            case 0x51: // BINPERSID
                let id = try pop(at: at)
                id.seal()
                stack.append(try result(try persistentLoad(id.value), from: id.depth, at: at))
            case 0x2E: // STOP
                guard stack.count == 1, marks.isEmpty else {
                    throw PickleError.malformed("STOP with \(stack.count) values on the stack and \(marks.count) open marks", at: at)
                }
                return stack[0].value
            default:
                throw PickleError.unsupportedOpcode(opcode, name: Self.refusedOpcodes[opcode], at: at)
            }
        }
    }

    /// Opcodes that are refused by name (they make objects of arbitrary classes, or are not
    /// used by state_dicts).
    static let refusedOpcodes: [Int: String] = [
        0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
        0x50: "PERSID", 0x49: "INT", 0x4C: "LONG", 0x8B: "LONG4", 0x46: "FLOAT", 0x53: "STRING", 0x54: "BINSTRING",
        0x56: "UNICODE", 0x64: "DICT", 0x6C: "LIST", 0x67: "GET", 0x70: "PUT", 0x30: "POP", 0x31: "POP_MARK",
        0x32: "DUP", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8",
        0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
}
