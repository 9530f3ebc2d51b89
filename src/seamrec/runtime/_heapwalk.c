/* seamrec.runtime._heapwalk: the objects that refer to any of a set of targets.
 *
 * `in_heap(targets)` walks the collector's lists as `gc.get_referrers(*targets)` does and
 * returns the same objects in the same order (those whose `tp_traverse` visits any of
 * `targets`, a list or a tuple), the `targets` container itself left out. Each visited
 * reference costs one lookup in a hash set of the targets' addresses instead of a scan of
 * all the targets, so one walk redirecting 200 seams costs what a walk for one does. (A
 * walk over `gc.get_objects()` would pay for building that list as much as for the walk.)
 * `in_heap_groups(groups)` does the walks for several groups of targets in one: a list per
 * group, each what `in_heap(group)` would give (the containers left out).
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
    uint64_t *groups; /* per slot: a bit for each group holding that address */
    size_t mask;
    int shift;
    uintptr_t low;  /* the lowest address in the set */
    uintptr_t span; /* the highest minus the lowest: an address outside is a miss */
} AddressSet;

/* The most groups `in_heap_groups` takes (a bit each in a mask). */
#define MAX_GROUPS 64

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
    set->groups = PyMem_Calloc(size, sizeof(uint64_t));
    if (set->slots == NULL || set->groups == NULL) {
        PyMem_Free(set->slots);
        PyMem_Free(set->groups);
        PyErr_NoMemory();
        return -1;
    }
    set->mask = size - 1;
    set->shift = 64 - power;
    set->low = UINTPTR_MAX;
    set->span = 0;
    return 0;
}

static void
address_set_free(AddressSet *set)
{
    PyMem_Free(set->slots);
    PyMem_Free(set->groups);
}

static void
address_set_add(AddressSet *set, PyObject *address, uint64_t group)
{
    size_t index = address_slot(set, address);
    while (set->slots[index] != NULL && set->slots[index] != address) {
        index = (index + 1) & set->mask;
    }
    set->slots[index] = address;
    set->groups[index] |= group;
}

/* Record the addresses' range once they are all added (the walk's first test). */
static void
address_set_close(AddressSet *set)
{
    uintptr_t low = UINTPTR_MAX, high = 0;
    for (size_t index = 0; index <= set->mask; index++) {
        uintptr_t address = (uintptr_t)set->slots[index];
        if (address != 0) {
            low = address < low ? address : low;
            high = address > high ? address : high;
        }
    }
    set->low = low;
    set->span = high >= low ? high - low : 0;
}

/* What a walk hands each object of the heap to; `hit` gathers the groups the object
 * being traversed refers to (its traversal stops once it refers to every group). */
typedef struct {
    AddressSet *set;
    PyObject **skip; /* the containers of the targets and the result lists: left out */
    Py_ssize_t skipped;
    PyObject **found; /* a list per group */
    Py_ssize_t count;
    uint64_t every;
    uint64_t hit;
} HeapVisit;

/* The visitproc: 1 (stop the traversal) once the object refers to every group. */
static int
visit_target(PyObject *referent, void *arg)
{
    HeapVisit *visit = (HeapVisit *)arg;
    AddressSet *set = visit->set;
    if ((uintptr_t)referent - set->low > set->span) {
        return 0; /* below the lowest target (wrapping around) or above the highest */
    }
    size_t index = address_slot(set, referent);
    PyObject *slot;
    while ((slot = set->slots[index]) != NULL) {
        if (slot == referent) {
            visit->hit |= set->groups[index];
            return visit->hit == visit->every;
        }
        index = (index + 1) & set->mask;
    }
    return 0;
}

/* 1 to go on, 0 to stop (a failed append). The containers to leave out are looked for
 * among the objects that refer to a target only (they all do): most objects do not. */
static int
visit_heap_object(PyObject *obj, void *arg)
{
    HeapVisit *visit = (HeapVisit *)arg;
    traverseproc traverse = Py_TYPE(obj)->tp_traverse;
    if (traverse == NULL) {
        return 1;
    }
    visit->hit = 0;
    traverse(obj, visit_target, visit);
    if (visit->hit == 0) {
        return 1;
    }
    for (Py_ssize_t i = 0; i < visit->skipped; i++) {
        if (obj == visit->skip[i]) {
            return 1;
        }
    }
    for (Py_ssize_t group = 0; group < visit->count; group++) {
        if ((visit->hit >> group) & 1) {
            if (PyList_Append(visit->found[group], obj) < 0) {
                return 0;
            }
        }
    }
    return 1;
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
        address_set_add(&set, items[i], 1);
    }
    address_set_close(&set);
    PyObject *found = PyList_New(0);
    if (found != NULL && count > 0) {
        PyObject *skip[] = {targets, fast, found};
        HeapVisit visit = {&set, skip, 3, &found, 1, 1, 0};
        visit_heap(&visit);
        if (PyErr_Occurred()) {
            Py_CLEAR(found);
        }
    }
    address_set_free(&set);
    Py_DECREF(fast);
    return found;
}

static PyObject *
heapwalk_in_heap_groups(PyObject *Py_UNUSED(module), PyObject *groups)
{
    if (!PyList_Check(groups)) {
        PyErr_SetString(PyExc_TypeError, "in_heap_groups: groups must be a list of lists");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(groups);
    if (count > MAX_GROUPS) {
        PyErr_Format(PyExc_ValueError, "in_heap_groups: at most %d groups", MAX_GROUPS);
        return NULL;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t group = 0; group < count; group++) {
        PyObject *targets = PyList_GET_ITEM(groups, group);
        if (!PyList_Check(targets)) {
            PyErr_SetString(PyExc_TypeError, "in_heap_groups: each group must be a list");
            return NULL;
        }
        total += PyList_GET_SIZE(targets);
    }
    PyObject *result = PyList_New(count);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t group = 0; group < count; group++) {
        PyObject *found = PyList_New(0);
        if (found == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, group, found);
    }
    if (total == 0) {
        return result;
    }
    AddressSet set;
    PyObject **skip = PyMem_Calloc((size_t)(2 * count + 2), sizeof(PyObject *));
    if (skip == NULL || address_set_init(&set, total) < 0) {
        PyMem_Free(skip);
        Py_DECREF(result);
        return skip == NULL ? PyErr_NoMemory() : NULL;
    }
    /* Hold the target lists: the walk appends to lists, which may run the collector. */
    PyObject *held = PyList_GetSlice(groups, 0, count);
    if (held == NULL) {
        address_set_free(&set);
        PyMem_Free(skip);
        Py_DECREF(result);
        return NULL;
    }
    skip[0] = groups;
    skip[1] = result;
    for (Py_ssize_t group = 0; group < count; group++) {
        PyObject *targets = PyList_GET_ITEM(held, group);
        skip[2 + 2 * group] = targets;
        skip[3 + 2 * group] = PyList_GET_ITEM(result, group);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(targets); i++) {
            address_set_add(&set, PyList_GET_ITEM(targets, i), (uint64_t)1 << group);
        }
    }
    address_set_close(&set);
    uint64_t every = 0;
    for (Py_ssize_t group = 0; group < count; group++) {
        if (PyList_GET_SIZE(PyList_GET_ITEM(held, group)) > 0) {
            every |= (uint64_t)1 << group;
        }
    }
    HeapVisit visit = {&set, skip, 2 * count + 2, &PySequence_Fast_ITEMS(result)[0], count,
                       every, 0};
    visit_heap(&visit);
    Py_DECREF(held);
    address_set_free(&set);
    PyMem_Free(skip);
    if (PyErr_Occurred()) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

static PyMethodDef heapwalk_methods[] = {
    {"in_heap", (PyCFunction)heapwalk_in_heap, METH_O,
     "in_heap(targets): gc.get_referrers(*targets), the targets container left out, in one "
     "walk over the collector's lists whose cost does not grow with the number of targets."},
    {"in_heap_groups", (PyCFunction)heapwalk_in_heap_groups, METH_O,
     "in_heap_groups(groups): for a list of lists of targets, a list per group of what "
     "in_heap(group) gives, in one walk over the heap."},
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
