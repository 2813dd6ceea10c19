"""What machine a benchmark script ran on (its figures name it)."""
import platform


def cpu_model():
    """The CPU's model name, family and model numbers (a VM may hide the name), the name
    LLVM gives it, and the CPU fastnn's kernels compile for where that differs."""
    import llvmlite.binding as ll
    fields = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields:
        name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    host = ll.get_host_cpu_name()
    from fastnn.kernels._target import target
    compiled = target().cpu
    if compiled != host:        # NUMBA_CPU_NAME: fastnn's kernels compiled for another CPU
        return f"{name}, LLVM: {host}, kernels compiled for {compiled}"
    return f"{name}, LLVM: {host}"
