"""fastnn's asv benchmarks: one class per op family, the kernel variant as a parameter."""
