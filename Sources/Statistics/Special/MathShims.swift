#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Double {
    /// ln(self), from the C library.
    @inline(__always) var naturalLogarithm: Double { log(self) }
}
