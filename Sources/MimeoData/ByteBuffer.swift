/// A growable byte buffer in manually managed memory, for hot loops that must not pay for array
/// uniqueness or exclusivity checks. The owner calls `deallocate()`. (Not API.)
struct ByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() {
        base.deallocate()
    }

    mutating func removeAll() {
        count = 0
    }

    /// Removes the first `prefix` bytes, moving the rest to the front.
    mutating func removeFirst(_ prefix: Int) {
        let rest = count - prefix
        if rest > 0 { base.update(from: base + prefix, count: rest) }
        count = rest
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
        (base + count).update(from: source, count: extra)
        count += extra
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        append(source, count: bytes.count)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    private mutating func grow(to minimum: Int) {
        capacity = max(capacity * 2, minimum)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
    }

    /// The bytes `range`.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
