# C declarations of fabnet/fab/state.py (Cython "augmenting .pxd"): the kernel's state.
cimport cython

from fabnet.fab.dispatch cimport LotView, Rule
from fabnet.fab.heap cimport EventHeap
from fabnet.fab.streams cimport Uniforms


cdef class State:
    # ---- run settings
    cdef double end
    cdef double warm
    cdef double lf
    cdef double sample_minutes
    cdef double batch_wait
    cdef bint has_batch_wait
    cdef bint conwip
    cdef long conwip_cap
    cdef bint nested
    cdef bint fast_fifo
    cdef long base_prio
    cdef bint has_transport
    cdef double tr_lo
    cdef double tr_w
    cdef long nt
    cdef long ng
    # ---- counters
    cdef long n_lots
    cdef long lot_cap
    cdef long n_events
    cdef long wip
    cdef double area
    cdef double last
    cdef double area_warm
    cdef long released
    # ---- steps
    cdef long[::1] S_group
    cdef long[::1] S_setup
    cdef long[::1] S_dist
    cdef long[::1] S_rwto
    cdef long[::1] S_cqt_to
    cdef long[::1] S_ded
    cdef long[::1] S_last
    cdef long[::1] S_recipe
    cdef long[::1] S_bmin
    cdef long[::1] S_bmax
    cdef long[::1] S_next
    cdef long[::1] S_special
    cdef double[::1] S_lo
    cdef double[::1] S_w
    cdef double[::1] S_mean
    cdef double[::1] S_tool
    cdef double[::1] S_stime
    cdef double[::1] S_sample
    cdef double[::1] S_rework
    cdef double[::1] S_cqt
    cdef double[::1] S_rem
    # ---- down calendars
    cdef long[::1] C_down
    cdef long[::1] C_pm
    cdef long[::1] C_every_dist
    cdef long[::1] C_rdist
    cdef double[::1] C_every
    cdef double[::1] C_rmean
    cdef double[::1] C_rhalf
    # ---- tool groups
    cdef double[::1] G_load
    cdef double[::1] G_tload
    cdef long[::1] G_fab
    cdef long[::1] G_batch
    cdef long[::1] G_ded
    cdef long[::1] G_setups
    cdef long[::1] G_plain
    cdef long[::1] G_first
    cdef long[::1] G_ntools
    cdef long[::1] G_nlazy
    cdef long[::1] Z_tools
    cdef long[::1] T_zpos
    cdef long[::1] G_nidle
    cdef long[::1] I_tools
    cdef long[::1] T_njob
    cdef long[::1] J_lots
    cdef long jmax
    cdef long[::1] B_lot
    cdef long[::1] B_grp
    cdef double[::1] B_key
    cdef long B_cap
    cdef long[::1] G_head
    cdef long[::1] G_tail
    cdef long[::1] G_len
    cdef double[::1] q_sum
    cdef long[::1] q_n
    # ---- tools
    cdef long[::1] T_group
    cdef long[::1] T_setup
    cdef long[::1] T_state
    cdef long[::1] T_tok
    cdef long[::1] T_mr_left
    cdef long[::1] T_mr_setup
    cdef long[::1] T_lazy
    cdef long[::1] T_k0
    cdef long[::1] T_k1
    cdef double[::1] T_since
    cdef double[::1] T_free
    cdef double[::1] T_setup_acc
    cdef double[::1] acc
    cdef long[::1] K_cal
    cdef double[::1] K_left
    # ---- lots
    cdef long[::1] L_step
    cdef long[::1] L_prod
    cdef long[::1] L_prio
    cdef long[::1] L_order
    cdef long[::1] L_tok
    cdef long[::1] L_kind
    cdef long[::1] L_cqts
    cdef long[::1] L_req
    cdef double[::1] L_rel
    cdef double[::1] L_due
    cdef double[::1] L_qin
    cdef double[::1] L_cqtd
    cdef double[::1] L_done
    cdef double[::1] L_evt
    cdef long[::1] L_next
    cdef long[::1] L_prev
    cdef long[::1] L_queued
    # ---- Python objects
    cdef EventHeap H
    cdef list items
    cdef Uniforms u_proc
    cdef Uniforms u_trans
    cdef Uniforms u_route
    cdef Uniforms u_down
    cdef Uniforms u_rel
    cdef Rule rule
    cdef LotView view
    cdef object engine
    cdef object model
    cdef object progress
    cdef list orders
    cdef tuple lot_list
    cdef list route_first
    cdef list product_route
    cdef dict setup_minutes
    cdef dict min_run
    cdef list T_pending
    cdef long[::1] T_npend
    cdef list T_pm_last
    cdef list L_ded
    cdef list L_rwk
    cdef long[::1] S_cqt_n
    cdef long[::1] S_cqt_late
    cdef list cqt_steps
    cdef list wip_by_product
    cdef list wip_t
    cdef list wip_n
    cdef list wip_p
    cdef list virtual
    cdef list acc_warm
    cdef list setup_warm
    cdef double wall0

    @cython.final
    cdef int _bind_view(self) except -1
    @cython.final
    cdef int grow_lots(self) except -1
    @cython.final
    cdef long new_lot(self, long prod, long prio, double rel, double due, long step, long order) except? -1
    @cython.final
    cdef int wip_change(self, double now, long delta) except -1
    @cython.final
    cdef int _close_states(self, double now) except -1
    @cython.final
    cdef int q_append(self, long f, long k, long lot) except -1
    @cython.final
    cdef int q_remove(self, long f, long k, long lot) except -1
    @cython.final
    cdef int dequeue(self, long f, long lot) except -1
    @cython.final
    cdef int _batch_room(self, long n) except -1
    @cython.final
    cdef int idle_push(self, long f, long t) except -1
    @cython.final
    cdef long idle_pop(self, long f) noexcept
    @cython.final
    cdef bint idle_has(self, long f, long t) noexcept
    @cython.final
    cdef int idle_remove(self, long f, long t) except -1
    @cython.final
    cdef int settle(self, long t, double now) except -1
    @cython.final
    cdef int arm(self, long t) except -1
    @cython.final
    cdef int pend(self, long t, long c) except -1
    @cython.final
    cdef long _first_lazy(self, long f) noexcept
    @cython.final
    cdef inline bint _ends_before(self, long t1, long t2) noexcept
    @cython.final
    cdef int _lazy_place(self, long f, long i, long t) except -1
    @cython.final
    cdef int lazy_push(self, long f, long t) except -1
    @cython.final
    cdef int lazy_remove(self, long f, long t) except -1
