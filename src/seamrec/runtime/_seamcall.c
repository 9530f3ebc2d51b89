/* seamrec.runtime._seamcall: the compiled stand-in for a plain function seam: a
 * module-level function, or a plain method of a boundary class.
 *
 * A SeamCall holds the original function, its home module's globals and name, the seam and
 * the dispatcher. A call reads the calling frame's globals (a C call
 * pushes no frame, so they are the caller's): its home module, or a module named like it or
 * under `seamrec.`, calls the original straight through (vectorcall, no tuple, no dict);
 * any other caller is a crossing, handed to `dispatcher.crossing(seam, caller, wrapped,
 * None, args, kwargs)`. A method's SeamCall (`method`) is a method descriptor as a function
 * is: `obj.method(x)` calls it with (obj, x) and no bound object is made; its crossing is
 * handed over as wrapt's wrapper hands it, `crossing(seam, caller, <the function bound to
 * obj>, obj, (x,), kwargs)`. Everything else behaves like the function: attributes read and written on it,
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
    PyObject *seam_id;  /* `seam.id`, read on the first crossing (NULL before) */
    PyObject *weakreflist;
    vectorcallfunc vectorcall;
    int method;         /* a method's seam: the first positional argument is `self` */
} SeamCall;

static PyTypeObject RecordStepType;
static PyTypeObject CheckStepType;
/* Record mode's steady call in C (below): the result, NULL on error, or `NOT_HANDLED`
 * when it did nothing and the call takes the strategy's Python entry. */
#define NOT_HANDLED Py_NotImplemented
static PyObject *record_fast(PyObject *step, PyObject *seam, PyObject *sid, PyObject *caller,
                             PyObject *wrapped, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, int method);
/* Check mode's fitting call in C (below), answering like `record_fast`. */
static PyObject *check_fast(PyObject *step, PyObject *seam, PyObject *sid, PyObject *caller,
                            PyObject *wrapped, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames, int method);
static PyObject *str_id; /* "id" */

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

/* What a Python crossing of a call is handed (new references): the callee and the
 * positional arguments it takes, `self` bound into the callee for a method (as wrapt's
 * wrapper hands a method's call); the function and all of them otherwise. 0, or -1. */
static int
call_parts(PyObject *wrapped, PyObject *const *args, Py_ssize_t nargs, int method,
           PyObject **callee, PyObject **positional)
{
    Py_ssize_t skip = method ? 1 : 0;
    *positional = PyTuple_New(nargs - skip);
    if (*positional == NULL) {
        *callee = NULL;
        return -1;
    }
    for (Py_ssize_t i = skip; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(*positional, i - skip, args[i]);
    }
    if (method) {
        *callee = PyMethod_New(wrapped, args[0]);
        if (*callee == NULL) {
            Py_CLEAR(*positional);
            return -1;
        }
    }
    else {
        Py_INCREF(wrapped);
        *callee = wrapped;
    }
    return 0;
}

/* The call's keyword arguments as a dict (a new reference; empty without any). */
static PyObject *
keywords_of(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *keywords = PyDict_New();
    if (keywords == NULL || kwnames == NULL) {
        return keywords;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (PyDict_SetItem(keywords, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
            Py_DECREF(keywords);
            return NULL;
        }
    }
    return keywords;
}

static PyObject *
dispatch(SeamCall *self, PyObject *caller, PyObject *const *args, size_t nargsf,
         PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    int method = self->method;
    if (method && nargs == 0) { /* no instance to bind: the function answers the call */
        return PyObject_Vectorcall(self->wrapped, args, nargsf, kwnames);
    }
    PyObject *crossing = PyObject_GetAttr(self->dispatcher, str_crossing);
    if (crossing == NULL) {
        return NULL;
    }
    int recording = Py_IS_TYPE(crossing, &RecordStepType);
    if (recording || Py_IS_TYPE(crossing, &CheckStepType)) {
        if (self->seam_id == NULL) {
            PyObject *sid = PyObject_GetAttr(self->seam, str_id);
            if (sid == NULL) {
                Py_DECREF(crossing);
                return NULL;
            }
            self->seam_id = sid;
        }
        if (PyUnicode_CheckExact(self->seam_id)) {
            PyObject *result = (recording ? record_fast : check_fast)(
                crossing, self->seam, self->seam_id, caller, self->wrapped, args, nargs, kwnames,
                method);
            if (result != NOT_HANDLED) {
                Py_DECREF(crossing);
                return result;
            }
        }
    }
    PyObject *callee, *positional;
    if (call_parts(self->wrapped, args, nargs, method, &callee, &positional) < 0) {
        Py_DECREF(crossing);
        return NULL;
    }
    PyObject *keywords = keywords_of(args, nargs, kwnames);
    if (keywords == NULL) {
        Py_DECREF(callee);
        Py_DECREF(positional);
        Py_DECREF(crossing);
        return NULL;
    }
    PyObject *instance = method ? args[0] : Py_None;
    PyObject *stack[6] = {self->seam, caller, callee, instance, positional, keywords};
    PyObject *result = PyObject_Vectorcall(crossing, stack, 6, NULL);
    Py_DECREF(callee);
    Py_DECREF(positional);
    Py_DECREF(keywords);
    Py_DECREF(crossing);
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
    static char *names[] = {"wrapped",    "home_globals", "home_name", "seam",
                            "dispatcher", "method",       NULL};
    PyObject *wrapped, *home_globals, *home_name, *seam, *dispatcher;
    int method = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOUOO|p:SeamCall", names, &wrapped,
                                     &home_globals, &home_name, &seam, &dispatcher, &method)) {
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
    self->seam_id = NULL;
    self->weakreflist = NULL;
    self->vectorcall = seamcall_vectorcall;
    self->method = method;
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
    Py_VISIT(self->seam_id);
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
    Py_CLEAR(self->seam_id);
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
    /* a method descriptor, as a function is: `obj.name(x)` calls it as (obj, x), which is
     * what calling `seamcall_descr_get`'s bound method does */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
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

/* ------------------------------------------------------------------ RecordStep
 *
 * Record mode's steady call of a plain function seam in C: what
 * `RecordStrategy.run` (runtime/recording.py) does for a call past the seam's payload
 * calls, with no Python frame. A RecordStep is made per tape (`RecordStrategy.begin`) and
 * is the strategy's `crossing`; the SeamCall proxy calls `record_fast` with the caller's
 * argument array (a method's `self` first: the bound values `[instance, *args]` that `run`
 * binds). It takes the call only when the seam's state is made, its positional
 * arguments are no more than the parameters (keywords and defaults are bound as
 * `Seam.bind` binds them: `bind_call`), the seam is a plain function (with `self` exactly
 * when the proxy's is a method) and
 * the strategy still runs this tape; anything else answers NOT_HANDLED before any effect
 * and the call takes `run`. After the position is taken, the Python pieces are called
 * where `run` calls them: `tape.nest` (a call inside a call), `_record_kept` (a call that
 * keeps its payload), `_args_shape` / `_result_shape` (a strict check failed),
 * `_record_raised` (the function raised), `tape.commit` (not steady), `internal_error`. */

enum {
    STATE_POSITIONS,
    STATE_FUNCTION,
    STATE_HAS_SELF,
    STATE_NAMES,
    STATE_LAST,
    STATE_SHAPES_ONLY_FROM,
    STATE_FIELDS
};
enum { LAST_ARGS, LAST_RESULT, LAST_FIELDS };

typedef struct {
    PyObject_HEAD
    PyObject *strategy;
    PyObject *tape;
    PyObject *states;    /* tape.states */
    PyObject *pooled;    /* tape.pooled */
    PyObject *steady;    /* tape.steady: a SteadyCommit, or None */
    PyObject *enclosing; /* nesting.ENCLOSING */
    PyObject *run;       /* strategy.run: every call the step does not take */
    PyObject *state_type;
    PyObject *last_type;
    unsigned long owner; /* tape.owner */
    Py_ssize_t state_offsets[STATE_FIELDS];
    Py_ssize_t last_offsets[LAST_FIELDS];
    vectorcallfunc vectorcall;
} RecordStep;

static PyObject *str_tape;          /* "tape" */
static PyObject *str_nest;          /* "nest" */
static PyObject *str_record_kept;   /* "_record_kept" */
static PyObject *str_args_shape_of; /* "_args_shape" */
static PyObject *str_result_shape_of; /* "_result_shape" */
static PyObject *str_record_raised; /* "_record_raised" */
static PyObject *str_commit;        /* "commit" */
static PyObject *str_internal_error; /* "internal_error" */

/* A slot of an object (borrowed; NULL when unset). */
#define SLOT(object, offset) (*(PyObject **)((char *)(object) + (offset)))

/* Report the raised exception as seamrec's own failure (`strategy.internal_error(exc,
 * what % sid)`) and clear it: 0. An exception that is not an `Exception` (as `except
 * Exception` would not catch it), or a failure of the report: -1, left raised. */
static int
report_internal(PyObject *strategy, const char *what, PyObject *sid)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        return -1;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    PyObject *lost = PyUnicode_FromFormat(what, sid);
    PyObject *done = lost == NULL ? NULL
                                  : PyObject_CallMethodObjArgs(strategy, str_internal_error, value,
                                                               lost, NULL);
    Py_XDECREF(lost);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    if (done == NULL) {
        return -1;
    }
    Py_DECREF(done);
    return 0;
}

/* The names and values of a call's arguments as `Seam.bind` gives them (new references):
 * the first `nargs` of the seam's positional parameter names `params` (`self` first for a
 * method, whose proxy's `args` hold the instance first), then the keywords, and the
 * arguments in that order, which is the vectorcall array's. 1; 0 when more positional
 * arguments came than there are parameters (`*args`: the Python path binds them); -1. */
static int
bind_call(PyObject *params, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
          PyObject **names, PyObject **values)
{
    Py_ssize_t count = PyTuple_GET_SIZE(params);
    Py_ssize_t keywords = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs > count) {
        return 0;
    }
    if (nargs == count && keywords == 0) {
        Py_INCREF(params);
        *names = params;
    }
    else {
        *names = PyTuple_New(nargs + keywords);
        if (*names == NULL) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < nargs; i++) {
            PyObject *name = PyTuple_GET_ITEM(params, i);
            Py_INCREF(name);
            PyTuple_SET_ITEM(*names, i, name);
        }
        for (Py_ssize_t i = 0; i < keywords; i++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, i);
            Py_INCREF(name);
            PyTuple_SET_ITEM(*names, nargs + i, name);
        }
    }
    *values = PyList_New(nargs + keywords);
    if (*values == NULL) {
        Py_CLEAR(*names);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs + keywords; i++) {
        Py_INCREF(args[i]);
        PyList_SET_ITEM(*values, i, args[i]);
    }
    return 1;
}

/* `fits(arguments...)` of a strict check: 1, 0, or -1 on error. */
static int
fits(PyObject *check, PyObject *const *arguments, Py_ssize_t count)
{
    PyObject *verdict = PyObject_Vectorcall(check, arguments, count, NULL);
    if (verdict == NULL) {
        return -1;
    }
    int yes = PyObject_IsTrue(verdict);
    Py_DECREF(verdict);
    return yes;
}

/* The args shape of the call (a new reference): the last call's while its strict check
 * passes, else `strategy._args_shape(seam, names, values)`. NULL on error. */
static PyObject *
args_shape(RecordStep *self, PyObject *seam, PyObject *last, PyObject *names, PyObject *values)
{
    PyObject *pair = SLOT(last, self->last_offsets[LAST_ARGS]);
    PyObject *shape = NULL;
    if (pair != NULL && PyTuple_CheckExact(pair) && PyTuple_GET_SIZE(pair) == 2) {
        Py_INCREF(pair); /* the pair may be replaced while the check runs */
        PyObject *check = PyTuple_GET_ITEM(pair, 1);
        if (check != Py_None) {
            PyObject *arguments[2] = {names, values};
            int yes = fits(check, arguments, 2);
            if (yes < 0) {
                Py_DECREF(pair);
                return NULL;
            }
            if (yes) {
                shape = PyTuple_GET_ITEM(pair, 0);
                Py_INCREF(shape);
            }
        }
        Py_DECREF(pair);
    }
    if (shape == NULL) {
        shape = PyObject_CallMethodObjArgs(self->strategy, str_args_shape_of, seam, names, values,
                                           NULL);
    }
    return shape;
}

/* The result shape (a new reference), reused like the args shape. NULL on error. */
static PyObject *
result_shape(RecordStep *self, PyObject *sid, PyObject *last, PyObject *result)
{
    PyObject *pair = SLOT(last, self->last_offsets[LAST_RESULT]);
    PyObject *shape = NULL;
    if (pair != NULL && PyTuple_CheckExact(pair) && PyTuple_GET_SIZE(pair) == 2) {
        Py_INCREF(pair);
        PyObject *check = PyTuple_GET_ITEM(pair, 1);
        if (check != Py_None) {
            PyObject *values = PyList_New(1);
            if (values == NULL) {
                Py_DECREF(pair);
                return NULL;
            }
            Py_INCREF(result);
            PyList_SET_ITEM(values, 0, result);
            int yes = fits(check, &values, 1);
            Py_DECREF(values);
            if (yes < 0) {
                Py_DECREF(pair);
                return NULL;
            }
            if (yes) {
                shape = PyTuple_GET_ITEM(pair, 0);
                Py_INCREF(shape);
            }
        }
        Py_DECREF(pair);
    }
    if (shape == NULL) {
        shape = PyObject_CallMethodObjArgs(self->strategy, str_result_shape_of, sid, result, NULL);
    }
    return shape;
}

/* Commit the call's shapes: the steady commit in C, else `tape.commit`. 0, or -1. */
static int
commit(RecordStep *self, PyObject *sid, PyObject *index, PyObject *shape, PyObject *result)
{
    if (Py_IS_TYPE(self->steady, &SteadyCommitType)) {
        int done = steady_commit((SteadyCommit *)self->steady, sid, index, shape, result);
        if (done != 0) {
            return done < 0 ? -1 : 0;
        }
    }
    PyObject *committed = PyObject_CallMethodObjArgs(self->tape, str_commit, sid, index, shape,
                                                     str_return, result, NULL);
    if (committed == NULL) {
        return -1;
    }
    Py_DECREF(committed);
    return 0;
}

/* Note the raised exception as the call's outcome (`strategy._record_raised`), leaving
 * it raised as it was. */
static void
note_raised(RecordStep *self, PyObject *sid, PyObject *caller, PyObject *index, PyObject *shape)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    PyObject *noted = PyObject_CallMethodObjArgs(self->strategy, str_record_raised, self->tape, sid,
                                                 caller, index, shape, value, NULL);
    if (noted == NULL) {
        PyErr_Clear(); /* `end` reports its own failures; nothing else can fail here */
    }
    Py_XDECREF(noted);
    PyErr_Restore(type, value, traceback);
}

/* Leave the call's turn as the enclosing call, quietly should the code under test have
 * switched contexts under it (`proxies.leave`); an exception raised before stays. */
static int
leave_call(RecordStep *self, PyObject *token)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    int failed = PyContextVar_Reset(self->enclosing, token);
    if (failed < 0) {
        if (PyErr_ExceptionMatches(PyExc_ValueError) ||
            PyErr_ExceptionMatches(PyExc_RuntimeError)) {
            PyErr_Clear();
            failed = 0;
        }
    }
    if (type != NULL) {
        if (failed < 0) {
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(traceback);
        }
        else {
            PyErr_Restore(type, value, traceback);
        }
        return -1;
    }
    return failed;
}

static PyObject *
record_fast(PyObject *op, PyObject *seam, PyObject *sid, PyObject *caller, PyObject *wrapped,
            PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int method)
{
    RecordStep *self = (RecordStep *)op;
    /* ---- before any effect: NOT_HANDLED when anything is not the steady case */
    PyObject *tape = PyObject_GetAttr(self->strategy, str_tape);
    if (tape == NULL) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    Py_DECREF(tape); /* compared by identity only */
    if (tape != self->tape) {
        return NOT_HANDLED;
    }
    PyObject *state = PyDict_GetItemWithError(self->states, sid);
    if (state == NULL) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    if ((PyObject *)Py_TYPE(state) != self->state_type) {
        return NOT_HANDLED;
    }
    const Py_ssize_t *at = self->state_offsets;
    PyObject *positions = SLOT(state, at[STATE_POSITIONS]);
    PyObject *params = SLOT(state, at[STATE_NAMES]);
    PyObject *last = SLOT(state, at[STATE_LAST]);
    PyObject *shapes_only_from = SLOT(state, at[STATE_SHAPES_ONLY_FROM]);
    PyObject *has_self = method ? Py_True : Py_False;
    if (SLOT(state, at[STATE_FUNCTION]) != Py_True || SLOT(state, at[STATE_HAS_SELF]) != has_self ||
        positions == NULL || params == NULL || !PyTuple_CheckExact(params) || last == NULL ||
        shapes_only_from == NULL || !PyLong_CheckExact(shapes_only_from) ||
        (PyObject *)Py_TYPE(last) != self->last_type) {
        return NOT_HANDLED;
    }
    PyObject *names, *values;
    int bound = bind_call(params, args, nargs, kwnames, &names, &values);
    if (bound <= 0) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    PyObject *parent;
    if (PyContextVar_Get(self->enclosing, NULL, &parent) < 0) {
        PyErr_Clear();
        Py_DECREF(names);
        Py_DECREF(values);
        return NOT_HANDLED;
    }
    /* ---- the call is taken: hold what it reads (Python code runs from here on) */
    Py_INCREF(state);
    Py_INCREF(seam);
    PyObject *shape = NULL, *token = NULL, *result = NULL, *index;
    if (parent == NULL || parent == Py_None) {
        index = PyIter_Next(positions);
        if (index == NULL && !PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the positions of a seam ran out");
        }
    }
    else {
        index = PyObject_CallMethodObjArgs(self->tape, str_nest, sid, parent, NULL);
    }
    Py_XDECREF(parent);
    if (index == NULL) {
        goto before_call_failed;
    }
    if (PyThread_get_thread_ident() != self->owner && PySet_Add(self->pooled, sid) < 0) {
        goto before_call_failed;
    }
    int kept = PyObject_RichCompareBool(index, shapes_only_from, Py_LT);
    if (kept < 0) {
        goto before_call_failed;
    }
    if (kept) { /* a call that keeps its payload: the rest of `run`, in Python */
        PyObject *callee, *positional;
        if (call_parts(wrapped, args, nargs, method, &callee, &positional) == 0) {
            PyObject *instance = method ? args[0] : Py_None;
            PyObject *keywords = keywords_of(args, nargs, kwnames);
            if (keywords != NULL) {
                result = PyObject_CallMethodObjArgs(self->strategy, str_record_kept, self->tape,
                                                    seam, caller, callee, instance, positional,
                                                    index, keywords, NULL);
                Py_DECREF(keywords);
            }
            Py_DECREF(callee);
            Py_DECREF(positional);
        }
        goto done;
    }
    shape = args_shape(self, seam, last, names, values);
    if (shape == NULL) {
        goto before_call_failed;
    }
    PyObject *key = PyTuple_Pack(2, sid, index);
    if (key == NULL) {
        goto before_call_failed;
    }
    token = PyContextVar_Set(self->enclosing, key);
    Py_DECREF(key);
    if (token == NULL) {
        goto before_call_failed;
    }
    result = PyObject_Vectorcall(wrapped, args, nargs, kwnames);
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            note_raised(self, sid, caller, index, shape);
        }
        leave_call(self, token);
        goto done;
    }
    if (leave_call(self, token) < 0) {
        Py_CLEAR(result);
        goto done;
    }
    PyObject *returned = result_shape(self, sid, last, result);
    if (returned == NULL || commit(self, sid, index, shape, returned) < 0) {
        Py_XDECREF(returned);
        if (report_internal(self->strategy, "the outcome of a call of %U", sid) < 0) {
            Py_CLEAR(result);
        }
        goto done;
    }
    Py_DECREF(returned);
    goto done;

before_call_failed: /* seamrec's own failure before the call: report it, make the call */
    if (report_internal(self->strategy, "a call of %U", sid) == 0) {
        result = PyObject_Vectorcall(wrapped, args, nargs, kwnames);
    }
done:
    Py_XDECREF(token);
    Py_XDECREF(shape);
    Py_XDECREF(index);
    Py_DECREF(names);
    Py_DECREF(values);
    Py_DECREF(seam);
    Py_DECREF(state);
    return result;
}

/* A step called as the strategy's `crossing(seam, caller, wrapped, instance, args, kwargs)`
 * (by a wrapt wrapper, the session's gate, or Python code) is the strategy's `run`: only
 * the SeamCall proxy takes the steps' C path, with the caller's argument array. */
static PyObject *
step_entry(PyObject *run, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return PyObject_Vectorcall(run, args, nargsf, kwnames);
}

static PyObject *step_run(PyObject *op);

/* A step compares and hashes as the strategy's `run`, which it is when called from Python. */
static PyObject *
step_richcompare(PyObject *op, PyObject *other, int opid)
{
    if (Py_IS_TYPE(other, &RecordStepType) || Py_IS_TYPE(other, &CheckStepType)) {
        other = step_run(other);
    }
    return PyObject_RichCompare(step_run(op), other, opid);
}

static Py_hash_t
step_hash(PyObject *op)
{
    return PyObject_Hash(step_run(op));
}

static PyObject *
step_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return step_entry(((RecordStep *)op)->run, args, nargsf, kwnames);
}

/* What a step reads of its tape and strategy (new references; `steady` may be NULL when
 * not wanted): 0, or -1 with an error set. */
static int
tape_parts(PyObject *strategy, PyObject *tape, PyObject **states, PyObject **pooled,
           PyObject **steady, PyObject **run, unsigned long *owner)
{
    *states = PyObject_GetAttrString(tape, "states");
    *pooled = *states == NULL ? NULL : PyObject_GetAttrString(tape, "pooled");
    PyObject *owned = *pooled == NULL ? NULL : PyObject_GetAttrString(tape, "owner");
    *run = owned == NULL ? NULL : PyObject_GetAttrString(strategy, "run");
    *owner = owned == NULL ? 0 : PyLong_AsUnsignedLong(owned);
    Py_XDECREF(owned);
    if (steady != NULL) {
        *steady = *run == NULL ? NULL : PyObject_GetAttrString(tape, "steady");
    }
    if (*run == NULL || (steady != NULL && *steady == NULL) || PyErr_Occurred() ||
        !PyDict_CheckExact(*states) || !PySet_Check(*pooled)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "tape.states must be a dict and tape.pooled a set");
        }
        Py_CLEAR(*states);
        Py_CLEAR(*pooled);
        Py_CLEAR(*run);
        if (steady != NULL) {
            Py_CLEAR(*steady);
        }
        return -1;
    }
    return 0;
}

/* Where instances of `type` (or its bases) hold slot `name`; -1 with an error set when
 * it is not an object slot. */
static Py_ssize_t
inherited_slot_offset(PyObject *type, PyObject *name)
{
    PyObject *descr = PyObject_GetAttr(type, name);
    if (descr == NULL) {
        return -1;
    }
    Py_ssize_t offset = -1;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type) &&
        ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX) {
        offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    else {
        PyErr_Format(PyExc_TypeError, "%R has no object slot %R", type, name);
    }
    Py_DECREF(descr);
    return offset;
}

static PyObject *
step_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"strategy", "tape", "enclosing", "state_type", "last_type", NULL};
    PyObject *strategy, *tape, *enclosing, *state_type, *last_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!O!O!:RecordStep", kwlist, &strategy, &tape,
                                     &PyContextVar_Type, &enclosing, &PyType_Type, &state_type,
                                     &PyType_Type, &last_type)) {
        return NULL;
    }
    static const char *state_fields[STATE_FIELDS] = {
        "positions", "function", "has_self", "names", "last", "shapes_only_from"};
    static const char *last_fields[LAST_FIELDS] = {"args", "result"};
    Py_ssize_t state_offsets[STATE_FIELDS], last_offsets[LAST_FIELDS];
    for (int i = 0; i < STATE_FIELDS; i++) {
        PyObject *name = PyUnicode_FromString(state_fields[i]);
        state_offsets[i] = name == NULL ? -1 : inherited_slot_offset(state_type, name);
        Py_XDECREF(name);
        if (state_offsets[i] < 0) {
            return NULL;
        }
    }
    for (int i = 0; i < LAST_FIELDS; i++) {
        PyObject *name = PyUnicode_FromString(last_fields[i]);
        last_offsets[i] = name == NULL ? -1 : inherited_slot_offset(last_type, name);
        Py_XDECREF(name);
        if (last_offsets[i] < 0) {
            return NULL;
        }
    }
    PyObject *states, *pooled, *steady, *run;
    unsigned long owner_id;
    if (tape_parts(strategy, tape, &states, &pooled, &steady, &run, &owner_id) < 0) {
        return NULL;
    }
    RecordStep *self = (RecordStep *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(states);
        Py_DECREF(pooled);
        Py_DECREF(steady);
        Py_DECREF(run);
        return NULL;
    }
    Py_INCREF(strategy);
    self->strategy = strategy;
    Py_INCREF(tape);
    self->tape = tape;
    self->states = states;
    self->pooled = pooled;
    self->steady = steady;
    Py_INCREF(enclosing);
    self->enclosing = enclosing;
    self->run = run;
    Py_INCREF(state_type);
    self->state_type = state_type;
    Py_INCREF(last_type);
    self->last_type = last_type;
    self->owner = owner_id;
    for (int i = 0; i < STATE_FIELDS; i++) {
        self->state_offsets[i] = state_offsets[i];
    }
    for (int i = 0; i < LAST_FIELDS; i++) {
        self->last_offsets[i] = last_offsets[i];
    }
    self->vectorcall = step_vectorcall;
    return (PyObject *)self;
}

static int
step_traverse(RecordStep *self, visitproc visit, void *arg)
{
    Py_VISIT(self->strategy);
    Py_VISIT(self->tape);
    Py_VISIT(self->states);
    Py_VISIT(self->pooled);
    Py_VISIT(self->steady);
    Py_VISIT(self->enclosing);
    Py_VISIT(self->run);
    Py_VISIT(self->state_type);
    Py_VISIT(self->last_type);
    return 0;
}

static int
step_clear(RecordStep *self)
{
    Py_CLEAR(self->strategy);
    Py_CLEAR(self->tape);
    Py_CLEAR(self->states);
    Py_CLEAR(self->pooled);
    Py_CLEAR(self->steady);
    Py_CLEAR(self->enclosing);
    Py_CLEAR(self->run);
    Py_CLEAR(self->state_type);
    Py_CLEAR(self->last_type);
    return 0;
}

static void
step_dealloc(RecordStep *self)
{
    PyObject_GC_UnTrack(self);
    step_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject RecordStepType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.runtime._seamcall.RecordStep",
    .tp_richcompare = step_richcompare,
    .tp_hash = step_hash,
    .tp_basicsize = sizeof(RecordStep),
    .tp_dealloc = (destructor)step_dealloc,
    .tp_vectorcall_offset = offsetof(RecordStep, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Record mode's steady call of a plain function seam (see _seamcall.c).",
    .tp_traverse = (traverseproc)step_traverse,
    .tp_clear = (inquiry)step_clear,
    .tp_new = step_new,
};

/* ------------------------------------------------------------------ CheckStep
 *
 * Check mode's call of a plain function seam whose arguments and result fit the
 * recorded run at its position, in C: what `CheckStrategy.run` (runtime/checking.py)
 * does on its short path, with no Python frame. Made per tape (`CheckStrategy.begin`,
 * unless the test replays seams) and called by the SeamCall proxy like the RecordStep.
 * It takes the call when the seam's state is made, its positional arguments are no more
 * than the parameters (bound with its keywords by `bind_call`) and the seam is a plain
 * function (with `self` exactly when the proxy's is a method); anything else answers
 * NOT_HANDLED before any effect. After the position is taken, the Python pieces are
 * called where `run` calls them: `_move` (a position outside the seam's window),
 * `_check_started` (the args do not fit: the full path), `_check_ended` (the call raised,
 * or its result does not fit), `internal_error`. */

enum {
    CSTATE_POSITIONS,
    CSTATE_FUNCTION,
    CSTATE_HAS_SELF,
    CSTATE_NAMES,
    CSTATE_WINDOW,
    CSTATE_FIELDS
};

typedef struct {
    PyObject_HEAD
    PyObject *strategy;
    PyObject *tape;
    PyObject *states; /* tape.states */
    PyObject *pooled; /* tape.pooled */
    PyObject *run;    /* strategy.run: every call the step does not take */
    PyObject *state_type;
    unsigned long owner; /* tape.owner */
    Py_ssize_t offsets[CSTATE_FIELDS];
    vectorcallfunc vectorcall;
} CheckStep;

static PyObject *str_move;          /* "_move" */
static PyObject *str_check_started; /* "_check_started" */
static PyObject *str_check_ended;   /* "_check_ended" */
static PyObject *str_raise;         /* "raise" */

/* Whether `index` is in the window's [start, end): 1, 0, or -1 on error. */
static int
in_window(PyObject *window, PyObject *index)
{
    PyObject *start = PyTuple_GET_ITEM(window, 0), *end = PyTuple_GET_ITEM(window, 1);
    if (PyLong_CheckExact(start) && PyLong_CheckExact(end) && PyLong_CheckExact(index)) {
        int overflow;
        long long at = PyLong_AsLongLongAndOverflow(index, &overflow);
        if (!overflow) {
            long long low = PyLong_AsLongLongAndOverflow(start, &overflow);
            if (!overflow) {
                long long high = PyLong_AsLongLongAndOverflow(end, &overflow);
                if (!overflow) {
                    return low <= at && at < high;
                }
            }
        }
    }
    int above = PyObject_RichCompareBool(start, index, Py_LE);
    if (above <= 0) {
        return above;
    }
    return PyObject_RichCompareBool(index, end, Py_LT);
}

/* `strategy._check_ended(tape, seam, caller, index, expected, names, values, outcome,
 * value)`: the late `LiveCall` of a call that went the short way, ended. */
static PyObject *
check_ended(CheckStep *self, PyObject *seam, PyObject *caller, PyObject *index,
            PyObject *expected, PyObject *names, PyObject *values, PyObject *outcome,
            PyObject *value)
{
    return PyObject_CallMethodObjArgs(self->strategy, str_check_ended, self->tape, seam, caller,
                                      index, expected, names, values, outcome, value, NULL);
}

static PyObject *
check_fast(PyObject *op, PyObject *seam, PyObject *sid, PyObject *caller, PyObject *wrapped,
           PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int method)
{
    CheckStep *self = (CheckStep *)op;
    /* ---- before any effect: NOT_HANDLED when anything is not the short path's case */
    PyObject *tape = PyObject_GetAttr(self->strategy, str_tape);
    if (tape == NULL) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    Py_DECREF(tape); /* compared by identity only */
    if (tape != self->tape) {
        return NOT_HANDLED;
    }
    PyObject *state = PyDict_GetItemWithError(self->states, sid);
    if (state == NULL) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    if ((PyObject *)Py_TYPE(state) != self->state_type) {
        return NOT_HANDLED;
    }
    const Py_ssize_t *at = self->offsets;
    PyObject *positions = SLOT(state, at[CSTATE_POSITIONS]);
    PyObject *params = SLOT(state, at[CSTATE_NAMES]);
    if (SLOT(state, at[CSTATE_FUNCTION]) != Py_True ||
        SLOT(state, at[CSTATE_HAS_SELF]) != (method ? Py_True : Py_False) || positions == NULL ||
        params == NULL || !PyTuple_CheckExact(params)) {
        return NOT_HANDLED;
    }
    PyObject *names, *values;
    int bound = bind_call(params, args, nargs, kwnames, &names, &values);
    if (bound <= 0) {
        PyErr_Clear();
        return NOT_HANDLED;
    }
    /* ---- the call is taken: hold what it reads (Python code runs from here on) */
    Py_INCREF(state);
    Py_INCREF(seam);
    PyObject *window = NULL, *result = NULL;
    PyObject *index = PyIter_Next(positions);
    if (index == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the positions of a seam ran out");
        }
        goto before_call_failed;
    }
    if (PyThread_get_thread_ident() != self->owner && PySet_Add(self->pooled, sid) < 0) {
        goto before_call_failed;
    }
    window = SLOT(state, at[CSTATE_WINDOW]);
    Py_XINCREF(window);
    int inside = 0;
    if (window != NULL && PyTuple_CheckExact(window) && PyTuple_GET_SIZE(window) == 5) {
        inside = in_window(window, index);
        if (inside < 0) {
            goto before_call_failed;
        }
    }
    if (!inside) {
        Py_XDECREF(window);
        window = PyObject_CallMethodObjArgs(self->strategy, str_move, state, index, NULL);
        if (window == NULL) {
            goto before_call_failed;
        }
        if (!PyTuple_CheckExact(window) || PyTuple_GET_SIZE(window) != 5) {
            PyErr_SetString(PyExc_TypeError, "a seam's window is a tuple of 5");
            goto before_call_failed;
        }
    }
    PyObject *expected = PyTuple_GET_ITEM(window, 2);
    PyObject *fits_args = PyTuple_GET_ITEM(window, 3);
    PyObject *fits_result = PyTuple_GET_ITEM(window, 4);
    int fit = 0;
    if (fits_args != Py_None) {
        PyObject *arguments[2] = {names, values};
        fit = fits(fits_args, arguments, 2);
        if (fit < 0) {
            goto before_call_failed;
        }
    }
    if (!fit) { /* the full path: a `LiveCall` from the start */
        PyObject *callee, *positional;
        if (call_parts(wrapped, args, nargs, method, &callee, &positional) == 0) {
            PyObject *keywords = keywords_of(args, nargs, kwnames);
            if (keywords != NULL) {
                result = PyObject_CallMethodObjArgs(self->strategy, str_check_started, self->tape,
                                                    seam, caller, callee, positional, index,
                                                    expected, names, values, keywords, NULL);
                Py_DECREF(keywords);
            }
            Py_DECREF(callee);
            Py_DECREF(positional);
        }
        goto done;
    }
    result = PyObject_Vectorcall(wrapped, args, nargs, kwnames);
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            PyObject *type, *value, *traceback;
            PyErr_Fetch(&type, &value, &traceback);
            PyErr_NormalizeException(&type, &value, &traceback);
            if (traceback != NULL && value != NULL) {
                PyException_SetTraceback(value, traceback);
            }
            PyObject *noted = check_ended(self, seam, caller, index, expected, names, values,
                                          str_raise, value);
            if (noted == NULL) { /* as `run` would: the failure of the note is raised */
                Py_XDECREF(type);
                Py_XDECREF(value);
                Py_XDECREF(traceback);
                goto done;
            }
            Py_DECREF(noted);
            PyErr_Restore(type, value, traceback);
        }
        goto done;
    }
    if (fits_result != Py_None) {
        PyObject *results = PyList_New(1);
        int yes = -1;
        if (results != NULL) {
            Py_INCREF(result);
            PyList_SET_ITEM(results, 0, result);
            yes = fits(fits_result, &results, 1);
            Py_DECREF(results);
        }
        if (yes > 0) {
            goto done;
        }
        if (yes < 0) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) {
                Py_CLEAR(result);
                goto done;
            }
            PyErr_Clear(); /* the full check below reports it */
        }
    }
    PyObject *noted =
        check_ended(self, seam, caller, index, expected, names, values, str_return, result);
    if (noted == NULL) {
        Py_CLEAR(result);
    }
    Py_XDECREF(noted);
    goto done;

before_call_failed: /* seamrec's own failure before the call: report it, make the call */
    if (report_internal(self->strategy, "a call of %U", sid) == 0) {
        result = PyObject_Vectorcall(wrapped, args, nargs, kwnames);
    }
done:
    Py_XDECREF(window);
    Py_DECREF(values);
    Py_XDECREF(index);
    Py_DECREF(names);
    Py_DECREF(seam);
    Py_DECREF(state);
    return result;
}

/* The strategy's `run` of a RecordStep or CheckStep (borrowed). */
static PyObject *
step_run(PyObject *op)
{
    return Py_IS_TYPE(op, &RecordStepType) ? ((RecordStep *)op)->run : ((CheckStep *)op)->run;
}

static PyObject *
check_step_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return step_entry(((CheckStep *)op)->run, args, nargsf, kwnames);
}

static PyObject *
check_step_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"strategy", "tape", "state_type", NULL};
    PyObject *strategy, *tape, *state_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!:CheckStep", kwlist, &strategy, &tape,
                                     &PyType_Type, &state_type)) {
        return NULL;
    }
    static const char *fields[CSTATE_FIELDS] = {"positions", "function", "has_self", "names",
                                                "window"};
    Py_ssize_t offsets[CSTATE_FIELDS];
    for (int i = 0; i < CSTATE_FIELDS; i++) {
        PyObject *name = PyUnicode_FromString(fields[i]);
        offsets[i] = name == NULL ? -1 : inherited_slot_offset(state_type, name);
        Py_XDECREF(name);
        if (offsets[i] < 0) {
            return NULL;
        }
    }
    PyObject *states, *pooled, *run;
    unsigned long owner;
    if (tape_parts(strategy, tape, &states, &pooled, NULL, &run, &owner) < 0) {
        return NULL;
    }
    CheckStep *self = (CheckStep *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(states);
        Py_DECREF(pooled);
        Py_DECREF(run);
        return NULL;
    }
    Py_INCREF(strategy);
    self->strategy = strategy;
    Py_INCREF(tape);
    self->tape = tape;
    self->states = states;
    self->pooled = pooled;
    self->run = run;
    Py_INCREF(state_type);
    self->state_type = state_type;
    self->owner = owner;
    for (int i = 0; i < CSTATE_FIELDS; i++) {
        self->offsets[i] = offsets[i];
    }
    self->vectorcall = check_step_vectorcall;
    return (PyObject *)self;
}

static int
check_step_traverse(CheckStep *self, visitproc visit, void *arg)
{
    Py_VISIT(self->strategy);
    Py_VISIT(self->tape);
    Py_VISIT(self->states);
    Py_VISIT(self->pooled);
    Py_VISIT(self->run);
    Py_VISIT(self->state_type);
    return 0;
}

static int
check_step_clear(CheckStep *self)
{
    Py_CLEAR(self->strategy);
    Py_CLEAR(self->tape);
    Py_CLEAR(self->states);
    Py_CLEAR(self->pooled);
    Py_CLEAR(self->run);
    Py_CLEAR(self->state_type);
    return 0;
}

static void
check_step_dealloc(CheckStep *self)
{
    PyObject_GC_UnTrack(self);
    check_step_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject CheckStepType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.runtime._seamcall.CheckStep",
    .tp_richcompare = step_richcompare,
    .tp_hash = step_hash,
    .tp_basicsize = sizeof(CheckStep),
    .tp_dealloc = (destructor)check_step_dealloc,
    .tp_vectorcall_offset = offsetof(CheckStep, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Check mode's fitting call of a plain function seam (see _seamcall.c).",
    .tp_traverse = (traverseproc)check_step_traverse,
    .tp_clear = (inquiry)check_step_clear,
    .tp_new = check_step_new,
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
    str_id = PyUnicode_InternFromString("id");
    str_tape = PyUnicode_InternFromString("tape");
    str_nest = PyUnicode_InternFromString("nest");
    str_record_kept = PyUnicode_InternFromString("_record_kept");
    str_args_shape_of = PyUnicode_InternFromString("_args_shape");
    str_result_shape_of = PyUnicode_InternFromString("_result_shape");
    str_record_raised = PyUnicode_InternFromString("_record_raised");
    str_commit = PyUnicode_InternFromString("commit");
    str_internal_error = PyUnicode_InternFromString("internal_error");
    str_move = PyUnicode_InternFromString("_move");
    str_check_started = PyUnicode_InternFromString("_check_started");
    str_check_ended = PyUnicode_InternFromString("_check_ended");
    str_raise = PyUnicode_InternFromString("raise");
    if (!str_id || !str_tape || !str_nest || !str_record_kept || !str_args_shape_of ||
        !str_result_shape_of || !str_record_raised || !str_commit || !str_internal_error ||
        !str_move || !str_check_started || !str_check_ended || !str_raise) {
        return NULL;
    }
    if (PyType_Ready(&SeamCallType) < 0 || PyType_Ready(&SteadyCommitType) < 0 ||
        PyType_Ready(&RecordStepType) < 0 || PyType_Ready(&CheckStepType) < 0) {
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
    Py_INCREF(&RecordStepType);
    if (PyModule_AddObject(module, "RecordStep", (PyObject *)&RecordStepType) < 0) {
        Py_DECREF(&RecordStepType);
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&CheckStepType);
    if (PyModule_AddObject(module, "CheckStep", (PyObject *)&CheckStepType) < 0) {
        Py_DECREF(&CheckStepType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
