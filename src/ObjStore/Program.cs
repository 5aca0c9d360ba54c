using ObjStore.Cli;

return await CommandLine.RunAsync(args);
