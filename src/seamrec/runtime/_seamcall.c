/* seamrec.runtime._seamcall: the compiled stand-in for a plain module-level function seam.
 *
 * A SeamCall holds the original function, its home module's globals and name, the seam and
 * the dispatcher. A call reads the calling frame's globals (a C call
 * pushes no frame, so they are the caller's): its home module, or a module named like it or
 * under `seamrec.`, calls the original straight through (vectorcall, no tuple, no dict);
 * any other caller is a crossing, handed to `dispatcher.crossing(seam, caller, wrapped,
 * None, args, kwargs)`. Everything else behaves like the function: attributes read and written on it,
 * `__class__`, equality and hash, binding as a method, pickling by reference, copies that
 * are itself. `seamrec.runtime.callproxy` has the pure Python twin, the reference. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *wrapped;
    PyObject *home_globals;
    PyObject *home_name;
    PyObject *seam;
    PyObject *dispatcher;
    PyObject *weakreflist;
    vectorcallfunc vectorcall;
} SeamCall;

static PyObject *str_name;      /* "__name__" */
static PyObject *str_question;  /* "?" */
static PyObject *str_seamrec;   /* "seamrec." */
static PyObject *str_qualname;  /* "qualname" */
static PyObject *str_class;     /* "__class__" */
static PyObject *str_crossing;  /* "crossing" */
static PyObject *str_doc;       /* "__doc__" */
static PyObject *str_module;    /* "__module__" */

/* The caller's module name (a new reference), "?" when it has none or not a str. */
static PyObject *
caller_name(PyObject *globals)
{
    PyObject *name;
    if (PyDict_Check(globals)) {
        name = PyDict_GetItemWithError(globals, str_name);
        if (name == NULL && PyErr_Occurred()) {
            return NULL;
        }
        Py_XINCREF(name);
    }
    else {
        name = PyObject_GetItem(globals, str_name);
        if (name == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
                return NULL;
            }
            PyErr_Clear();
        }
    }
    if (name == NULL || !PyUnicode_Check(name)) {
        Py_XDECREF(name);
        Py_INCREF(str_question);
        return str_question;
    }
    return name;
}

/* Whether `caller` is the home module or seamrec itself (-1 on error). */
static int
is_own_caller(SeamCall *self, PyObject *caller)
{
    if (caller == self->home_name) {
        return 1;
    }
    int equal = PyUnicode_Compare(caller, self->home_name);
    if (equal == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (equal == 0) {
        return 1;
    }
    Py_ssize_t found = PyUnicode_Tailmatch(caller, str_seamrec, 0, PY_SSIZE_T_MAX, -1);
    return found < 0 ? -1 : (int)found;
}

static PyObject *
dispatch(SeamCall *self, PyObject *caller, PyObject *const *args, size_t nargsf,
         PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *positional = PyTuple_New(nargs);
    if (positional == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(positional, i, args[i]);
    }
    PyObject *keywords = PyDict_New();
    if (keywords == NULL) {
        Py_DECREF(positional);
        return NULL;
    }
    if (kwnames != NULL) {
        Py_ssize_t count = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t i = 0; i < count; i++) {
            if (PyDict_SetItem(keywords, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
                Py_DECREF(positional);
                Py_DECREF(keywords);
                return NULL;
            }
        }
    }
    PyObject *stack[7] = {self->dispatcher, self->seam, caller, self->wrapped, Py_None,
                          positional, keywords};
    PyObject *result = PyObject_VectorcallMethod(
        str_crossing, stack, 7, NULL);
    Py_DECREF(positional);
    Py_DECREF(keywords);
    return result;
}

static PyObject *
seamcall_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    SeamCall *self = (SeamCall *)op;
    PyObject *globals = PyEval_GetGlobals(); /* borrowed; NULL: no Python caller */
    if (globals == NULL || globals == self->home_globals) {
        return PyObject_Vectorcall(self->wrapped, args, nargsf, kwnames);
    }
    PyObject *caller = caller_name(globals);
    if (caller == NULL) {
        return NULL;
    }
    int own = is_own_caller(self, caller);
    if (own < 0) {
        Py_DECREF(caller);
        return NULL;
    }
    if (own) {
        Py_DECREF(caller);
        return PyObject_Vectorcall(self->wrapped, args, nargsf, kwnames);
    }
    PyObject *result = dispatch(self, caller, args, nargsf, kwnames);
    Py_DECREF(caller);
    return result;
}

static PyObject *
seamcall_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"wrapped", "home_globals", "home_name", "seam", "dispatcher", NULL};
    PyObject *wrapped, *home_globals, *home_name, *seam, *dispatcher;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOUOO:SeamCall", names, &wrapped,
                                     &home_globals, &home_name, &seam, &dispatcher)) {
        return NULL;
    }
    SeamCall *self = (SeamCall *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    Py_INCREF(wrapped);
    self->wrapped = wrapped;
    Py_INCREF(home_globals);
    self->home_globals = home_globals;
    Py_INCREF(home_name);
    self->home_name = home_name;
    Py_INCREF(seam);
    self->seam = seam;
    Py_INCREF(dispatcher);
    self->dispatcher = dispatcher;
    self->weakreflist = NULL;
    self->vectorcall = seamcall_vectorcall;
    return (PyObject *)self;
}

static int
seamcall_traverse(SeamCall *self, visitproc visit, void *arg)
{
    Py_VISIT(self->wrapped);
    Py_VISIT(self->home_globals);
    Py_VISIT(self->home_name);
    Py_VISIT(self->seam);
    Py_VISIT(self->dispatcher);
    return 0;
}

static int
seamcall_clear(SeamCall *self)
{
    Py_CLEAR(self->wrapped);
    Py_CLEAR(self->home_globals);
    Py_CLEAR(self->home_name);
    Py_CLEAR(self->seam);
    Py_CLEAR(self->dispatcher);
    return 0;
}

static void
seamcall_dealloc(SeamCall *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    seamcall_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject SeamCallType;

/* Names the proxy answers itself: whatever its type's own namespace defines (methods,
 * slot wrappers, `__wrapped__`, `seam`, `__class__`), except the type's `__doc__` and
 * `__module__`, which are the function's. Every other name is the function's. */
static PyObject *
seamcall_getattro(PyObject *op, PyObject *name)
{
    if (PyUnicode_Check(name)) {
        PyObject *own = PyDict_GetItemWithError(SeamCallType.tp_dict, name);
        if (own != NULL) {
            if (PyUnicode_Compare(name, str_doc) != 0 && PyUnicode_Compare(name, str_module) != 0) {
                return PyObject_GenericGetAttr(op, name);
            }
        }
        else if (PyErr_Occurred()) {
            return NULL;
        }
    }
    return PyObject_GetAttr(((SeamCall *)op)->wrapped, name);
}

static int
seamcall_setattro(PyObject *op, PyObject *name, PyObject *value)
{
    return PyObject_SetAttr(((SeamCall *)op)->wrapped, name, value);
}

static PyObject *
seamcall_repr(SeamCall *self)
{
    return PyUnicode_FromFormat("<seamrec wrapper of %R>", self->wrapped);
}

static Py_hash_t
seamcall_hash(SeamCall *self)
{
    return PyObject_Hash(self->wrapped);
}

static PyObject *
seamcall_richcompare(PyObject *op, PyObject *other, int opid)
{
    if (Py_IS_TYPE(other, &SeamCallType)) {
        other = ((SeamCall *)other)->wrapped;
    }
    return PyObject_RichCompare(((SeamCall *)op)->wrapped, other, opid);
}

static PyObject *
seamcall_descr_get(PyObject *op, PyObject *instance, PyObject *owner)
{
    if (instance == NULL || instance == Py_None) {
        Py_INCREF(op);
        return op;
    }
    return PyMethod_New(op, instance);
}

static PyObject *
seamcall_get_wrapped(SeamCall *self, void *closure)
{
    Py_INCREF(self->wrapped);
    return self->wrapped;
}

static PyObject *
seamcall_get_seam(SeamCall *self, void *closure)
{
    Py_INCREF(self->seam);
    return self->seam;
}

static PyObject *
seamcall_get_class(SeamCall *self, void *closure)
{
    return PyObject_GetAttr(self->wrapped, str_class);
}

static PyObject *
seamcall_copy(PyObject *self, PyObject *unused)
{
    Py_INCREF(self);
    return self;
}

static PyObject *
seamcall_deepcopy(PyObject *self, PyObject *memo)
{
    Py_INCREF(self);
    return self;
}

static PyObject *
seamcall_reduce_ex(SeamCall *self, PyObject *protocol)
{
    /* Pickled by reference, like the function itself: unpickling finds the wrapper. */
    return PyObject_GetAttr(self->seam, str_qualname);
}

static PyMethodDef seamcall_methods[] = {
    {"__copy__", (PyCFunction)seamcall_copy, METH_NOARGS, "The wrapper itself."},
    {"__deepcopy__", (PyCFunction)seamcall_deepcopy, METH_O, "The wrapper itself."},
    {"__reduce_ex__", (PyCFunction)seamcall_reduce_ex, METH_O, "Pickled by qualname."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef seamcall_getset[] = {
    {"__wrapped__", (getter)seamcall_get_wrapped, NULL, "The original function.", NULL},
    {"seam", (getter)seamcall_get_seam, NULL, "The seam this wrapper records.", NULL},
    {"__class__", (getter)seamcall_get_class, NULL, "The function's class.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SeamCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.runtime._seamcall.SeamCall",
    .tp_basicsize = sizeof(SeamCall),
    .tp_dealloc = (destructor)seamcall_dealloc,
    .tp_vectorcall_offset = offsetof(SeamCall, vectorcall),
    .tp_repr = (reprfunc)seamcall_repr,
    .tp_hash = (hashfunc)seamcall_hash,
    .tp_call = PyVectorcall_Call,
    .tp_getattro = seamcall_getattro,
    .tp_setattro = seamcall_setattro,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = NULL,
    .tp_traverse = (traverseproc)seamcall_traverse,
    .tp_clear = (inquiry)seamcall_clear,
    .tp_richcompare = seamcall_richcompare,
    .tp_weaklistoffset = offsetof(SeamCall, weakreflist),
    .tp_methods = seamcall_methods,
    .tp_getset = seamcall_getset,
    .tp_descr_get = seamcall_descr_get,
    .tp_new = seamcall_new,
};

/* ------------------------------------------------------------------ SteadyCommit
 *
 * The steady state of `Tape.commit` (runtime/tape.py) in one C call: call `index` of
 * `seam` returned with the shapes of the seam's last run, in position order (its index is
 * the next to commit and no call waits), so the last run counts one more call. A
 * SteadyCommit holds the tape's three dicts (last run, next index to commit, calls
 * waiting, per seam) and reads the runs' fields where `Run`'s slots are; calling it with
 * (seam, index, args shape, result shape) commits in place and answers True, or answers
 * False and changes nothing (the caller takes `Tape.commit`). No Python code runs between
 * its reads and its writes (exact str keys, int values, slots read and written in
 * place), so it needs no lock while the GIL is held. */

enum { RUN_ARGS, RUN_RESULT, RUN_OUTCOME, RUN_COUNT, RUN_FIELDS };

typedef struct {
    PyObject_HEAD
    PyObject *last_runs;
    PyObject *committed;
    PyObject *waiting;
    PyObject *run_type;             /* cassette.store.Run: a slotted dataclass */
    Py_ssize_t offsets[RUN_FIELDS]; /* where its instances hold these fields */
    vectorcallfunc vectorcall;
} SteadyCommit;

static PyObject *str_args_shape;   /* "args_shape" */
static PyObject *str_result_shape; /* "result_shape" */
static PyObject *str_outcome;      /* "outcome" */
static PyObject *str_count;        /* "count" */
static PyObject *str_return;       /* "return" */

/* A field of a run, read where its slot is (borrowed; NULL when unset). */
#define RUN_FIELD(self, run, field) \
    (*(PyObject **)((char *)(run) + (self)->offsets[field]))

static int
steady_commit(SteadyCommit *self, PyObject *seam, PyObject *index, PyObject *args_shape,
              PyObject *result_shape)
{
    if (!PyUnicode_CheckExact(seam) || !PyLong_CheckExact(index)) {
        return 0;
    }
    PyObject *run = PyDict_GetItemWithError(self->last_runs, seam); /* borrowed */
    if (run == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if ((PyObject *)Py_TYPE(run) != self->run_type) {
        return 0;
    }
    PyObject *count = RUN_FIELD(self, run, RUN_COUNT);
    PyObject *outcome = RUN_FIELD(self, run, RUN_OUTCOME);
    if (RUN_FIELD(self, run, RUN_ARGS) != args_shape ||
        RUN_FIELD(self, run, RUN_RESULT) != result_shape || count == NULL ||
        !PyLong_CheckExact(count) || outcome == NULL) {
        return 0;
    }
    if (outcome != str_return &&
        !(PyUnicode_CheckExact(outcome) && PyUnicode_Compare(outcome, str_return) == 0)) {
        return 0;
    }
    PyObject *committed = PyDict_GetItemWithError(self->committed, seam); /* borrowed */
    if (committed == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyLong_CheckExact(committed)) {
        return 0;
    }
    int ok = PyObject_RichCompareBool(committed, index, Py_EQ);
    if (ok != 1) {
        return ok;
    }
    int waits = PyDict_Contains(self->waiting, seam);
    if (waits != 0) {
        return waits < 0 ? -1 : 0;
    }
    /* ints are not collected: making them runs no Python code, so nothing changed since
     * the reads above when the two writes below are made */
    PyObject *one = PyLong_FromLong(1);
    PyObject *more = one == NULL ? NULL : PyNumber_Add(count, one);
    PyObject *next = one == NULL ? NULL : PyNumber_Add(index, one);
    Py_XDECREF(one);
    if (more == NULL || next == NULL) {
        Py_XDECREF(more);
        Py_XDECREF(next);
        return -1;
    }
    if (PyDict_SetItem(self->committed, seam, next) < 0) { /* an existing key: no resize */
        Py_DECREF(more);
        Py_DECREF(next);
        return -1;
    }
    Py_DECREF(next);
    RUN_FIELD(self, run, RUN_COUNT) = more; /* the run holds `more`; `count` is let go */
    Py_DECREF(count);
    return 1;
}

static PyObject *
steady_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 4 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError,
                        "SteadyCommit takes (seam, index, args_shape, result_shape)");
        return NULL;
    }
    int ok = steady_commit((SteadyCommit *)op, args[0], args[1], args[2], args[3]);
    if (ok < 0) {
        return NULL;
    }
    return PyBool_FromLong(ok);
}

/* Where instances of `type` hold field `name`: the offset of its slot, -1 (an error
 * set) when it is not an object slot of the type's own. */
static Py_ssize_t
slot_offset(PyObject *type, PyObject *name)
{
    PyObject *descr = PyDict_GetItemWithError(((PyTypeObject *)type)->tp_dict, name);
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
        ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "%R has no object slot %R", type, name);
        }
        return -1;
    }
    return ((PyMemberDescrObject *)descr)->d_member->offset;
}

static PyObject *
steady_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"last_runs", "committed", "waiting", "run_type", NULL};
    PyObject *last_runs, *committed, *waiting, *run_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O!O!:SteadyCommit", names,
                                     &PyDict_Type, &last_runs, &PyDict_Type, &committed,
                                     &PyDict_Type, &waiting, &PyType_Type, &run_type)) {
        return NULL;
    }
    PyObject *fields[RUN_FIELDS] = {str_args_shape, str_result_shape, str_outcome, str_count};
    Py_ssize_t offsets[RUN_FIELDS];
    for (int i = 0; i < RUN_FIELDS; i++) {
        offsets[i] = slot_offset(run_type, fields[i]);
        if (offsets[i] < 0) {
            return NULL;
        }
    }
    SteadyCommit *self = (SteadyCommit *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    Py_INCREF(last_runs);
    self->last_runs = last_runs;
    Py_INCREF(committed);
    self->committed = committed;
    Py_INCREF(waiting);
    self->waiting = waiting;
    Py_INCREF(run_type);
    self->run_type = run_type;
    for (int i = 0; i < RUN_FIELDS; i++) {
        self->offsets[i] = offsets[i];
    }
    self->vectorcall = steady_vectorcall;
    return (PyObject *)self;
}

static int
steady_traverse(SteadyCommit *self, visitproc visit, void *arg)
{
    Py_VISIT(self->last_runs);
    Py_VISIT(self->committed);
    Py_VISIT(self->waiting);
    Py_VISIT(self->run_type);
    return 0;
}

static int
steady_clear(SteadyCommit *self)
{
    Py_CLEAR(self->last_runs);
    Py_CLEAR(self->committed);
    Py_CLEAR(self->waiting);
    Py_CLEAR(self->run_type);
    return 0;
}

static void
steady_dealloc(SteadyCommit *self)
{
    PyObject_GC_UnTrack(self);
    steady_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject SteadyCommitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.runtime._seamcall.SteadyCommit",
    .tp_basicsize = sizeof(SteadyCommit),
    .tp_dealloc = (destructor)steady_dealloc,
    .tp_vectorcall_offset = offsetof(SteadyCommit, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The steady state of Tape.commit in one call (see _seamcall.c).",
    .tp_traverse = (traverseproc)steady_traverse,
    .tp_clear = (inquiry)steady_clear,
    .tp_new = steady_new,
};

static struct PyModuleDef seamcall_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "seamrec.runtime._seamcall",
    .m_doc = "The compiled stand-in for a plain function seam and the tape's steady commit "
             "(see _seamcall.c).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__seamcall(void)
{
    str_name = PyUnicode_InternFromString("__name__");
    str_question = PyUnicode_InternFromString("?");
    str_seamrec = PyUnicode_InternFromString("seamrec.");
    str_qualname = PyUnicode_InternFromString("qualname");
    str_class = PyUnicode_InternFromString("__class__");
    str_crossing = PyUnicode_InternFromString("crossing");
    str_doc = PyUnicode_InternFromString("__doc__");
    str_module = PyUnicode_InternFromString("__module__");
    if (!str_name || !str_question || !str_seamrec || !str_qualname || !str_class || !str_crossing ||
        !str_doc || !str_module) {
        return NULL;
    }
    if (PyType_Ready(&SeamCallType) < 0 || PyType_Ready(&SteadyCommitType) < 0) {
        return NULL;
    }
    str_args_shape = PyUnicode_InternFromString("args_shape");
    str_result_shape = PyUnicode_InternFromString("result_shape");
    str_outcome = PyUnicode_InternFromString("outcome");
    str_count = PyUnicode_InternFromString("count");
    str_return = PyUnicode_InternFromString("return");
    if (!str_args_shape || !str_result_shape || !str_outcome || !str_count || !str_return) {
        return NULL;
    }
    /* classify.SHOWN_AS: a shape never names seamrec's own type, a held seam is a function */
    PyObject *shown = PyUnicode_InternFromString("function");
    if (shown == NULL ||
        PyDict_SetItemString(SeamCallType.tp_dict, "__seamrec_shown_as__", shown) < 0) {
        Py_XDECREF(shown);
        return NULL;
    }
    Py_DECREF(shown);
    PyType_Modified(&SeamCallType);
    PyObject *module = PyModule_Create(&seamcall_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&SeamCallType);
    if (PyModule_AddObject(module, "SeamCall", (PyObject *)&SeamCallType) < 0) {
        Py_DECREF(&SeamCallType);
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&SteadyCommitType);
    if (PyModule_AddObject(module, "SteadyCommit", (PyObject *)&SteadyCommitType) < 0) {
        Py_DECREF(&SteadyCommitType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
