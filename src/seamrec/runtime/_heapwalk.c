/* seamrec.runtime._heapwalk: the objects that refer to any of a set of targets.
 *
 * `in_heap(targets)` walks the collector's lists as `gc.get_referrers(*targets)` does and
 * returns the same objects in the same order (those whose `tp_traverse` visits any of
 * `targets`, a list or a tuple), the `targets` container itself left out. Each visited
 * reference costs one lookup in a hash set of the targets' addresses instead of a scan of
 * all the targets, so one walk redirecting 200 seams costs what a walk for one does. (A
 * walk over `gc.get_objects()` would pay for building that list as much as for the walk.)
 * `seamrec.runtime.heapwalk` has the pure fallback (`gc.get_referrers`). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#if PY_VERSION_HEX < 0x030C0000
/* CPython 3.11 has no API to visit the heap (3.12 added PyUnstable_GC_VisitObjects): the
 * collector's generation lists are read as gc.get_referrers reads them. */
#  define Py_BUILD_CORE 1
#  undef _PyGC_FINALIZED /* the internal header defines it again */
#  include "internal/pycore_interp.h"
#  undef Py_BUILD_CORE
#endif

/* An open-addressing set of object addresses (a NULL slot is empty), probed from the
 * high bits of a multiplicative (Fibonacci) hash: the low bits of an address mostly say
 * where in a pymalloc pool the object sits, the same for many objects. */
typedef struct {
    PyObject **slots;
    size_t mask;
    int shift;
} AddressSet;

static size_t
address_slot(const AddressSet *set, const void *address)
{
    uint64_t bits = (uint64_t)(uintptr_t)address;
    return (size_t)((bits * 0x9E3779B97F4A7C15ULL) >> set->shift);
}

static int
address_set_init(AddressSet *set, Py_ssize_t count)
{
    size_t size = 16;
    int power = 4;
    while (size < (size_t)count * 4) { /* a quarter full at most: a miss probes ~1 slot */
        size <<= 1;
        power++;
    }
    set->slots = PyMem_Calloc(size, sizeof(PyObject *));
    if (set->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    set->mask = size - 1;
    set->shift = 64 - power;
    return 0;
}

static void
address_set_add(AddressSet *set, PyObject *address)
{
    size_t index = address_slot(set, address);
    while (set->slots[index] != NULL) {
        if (set->slots[index] == address) {
            return;
        }
        index = (index + 1) & set->mask;
    }
    set->slots[index] = address;
}

/* The visitproc: 1 (stop the traversal) at the first reference to a target. */
static int
visit_target(PyObject *referent, void *arg)
{
    AddressSet *set = (AddressSet *)arg;
    size_t index = address_slot(set, referent);
    PyObject *slot;
    while ((slot = set->slots[index]) != NULL) {
        if (slot == referent) {
            return 1;
        }
        index = (index + 1) & set->mask;
    }
    return 0;
}

/* What `in_heap` hands each object of the heap to. */
typedef struct {
    AddressSet *set;
    PyObject *targets;
    PyObject *fast;
    PyObject *found;
} HeapVisit;

/* 1 to go on, 0 to stop (a failed append). */
static int
visit_heap_object(PyObject *obj, void *arg)
{
    HeapVisit *visit = (HeapVisit *)arg;
    if (obj == visit->targets || obj == visit->fast || obj == visit->found) {
        return 1;
    }
    traverseproc traverse = Py_TYPE(obj)->tp_traverse;
    if (traverse == NULL || !traverse(obj, visit_target, visit->set)) {
        return 1;
    }
    return PyList_Append(visit->found, obj) == 0;
}

#if PY_VERSION_HEX < 0x030C0000
static void
visit_heap(HeapVisit *visit)
{
    struct _gc_runtime_state *gcstate = &PyInterpreterState_Get()->gc;
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        PyGC_Head *head = &gcstate->generations[i].head;
        for (PyGC_Head *gc = _PyGCHead_NEXT(head); gc != head; gc = _PyGCHead_NEXT(gc)) {
            if (!visit_heap_object((PyObject *)(gc + 1), visit)) {
                return;
            }
        }
    }
}
#else
static void
visit_heap(HeapVisit *visit)
{
    PyUnstable_GC_VisitObjects(visit_heap_object, visit);
}
#endif

static PyObject *
heapwalk_in_heap(PyObject *Py_UNUSED(module), PyObject *targets)
{
    PyObject *fast = PySequence_Fast(targets, "in_heap: targets must be a list or a tuple");
    if (fast == NULL) {
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    AddressSet set;
    if (address_set_init(&set, count) < 0) {
        Py_DECREF(fast);
        return NULL;
    }
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t i = 0; i < count; i++) {
        address_set_add(&set, items[i]);
    }
    PyObject *found = PyList_New(0);
    if (found != NULL && count > 0) {
        HeapVisit visit = {&set, targets, fast, found};
        visit_heap(&visit);
        if (PyErr_Occurred()) {
            Py_CLEAR(found);
        }
    }
    PyMem_Free(set.slots);
    Py_DECREF(fast);
    return found;
}

static PyMethodDef heapwalk_methods[] = {
    {"in_heap", (PyCFunction)heapwalk_in_heap, METH_O,
     "in_heap(targets): gc.get_referrers(*targets), the targets container left out, in one "
     "walk over the collector's lists whose cost does not grow with the number of targets."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef heapwalk_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "seamrec.runtime._heapwalk",
    .m_doc = "The referrers of many targets in one walk over the heap (see _heapwalk.c).",
    .m_size = -1,
    .m_methods = heapwalk_methods,
};

PyMODINIT_FUNC
PyInit__heapwalk(void)
{
    return PyModule_Create(&heapwalk_module);
}
