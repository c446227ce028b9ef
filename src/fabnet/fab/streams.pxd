# C declarations of fabnet/fab/streams.py (Cython "augmenting .pxd").
cimport cython


@cython.final
cdef class Uniforms:
    cdef object _rng
    cdef double[::1] _buf
    cdef Py_ssize_t _pos, _n

    cpdef double next(self) except? -1


cdef double draw(long dist, double mean, double half, double u) noexcept
