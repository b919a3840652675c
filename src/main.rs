// mimalloc instead of the system allocator: the consumer allocates and frees
// per request and per object (the AWS SDK's request pipeline, decode buffers);
// glibc's malloc spent a fifth of the consumer's CPU time on that
// (malloc_consolidate, page clearing after unmapping large blocks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sluice::cli::main()
}
