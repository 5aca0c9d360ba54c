using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ObjStore.Metadata.Sqlite;

/// <summary>
/// Connections kept open for the hottest reads (the row a GET or HEAD needs), each with its statements prepared once
/// and its rows mapped by a parser built once. A pooled connection per read would instead parse and plan the SQL
/// (sqlite3_prepare) and let Dapper look the columns up again on every request.
/// </summary>
/// <remarks>
/// Outside a transaction each statement reads the latest committed snapshot (WAL), so a reused connection sees every
/// commit made before the read starts, as a fresh one would. A connection serves one read at a time.
/// </remarks>
internal sealed class PointReaders(string connectionString) : IDisposable
{
    /// <summary>Idle connections kept; more concurrent reads open more, closed when they are done.</summary>
    private static readonly int Kept = Math.Max(8, 4 * Environment.ProcessorCount);

    private readonly Stack<PointReader> _idle = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>
    /// The first row of <paramref name="sql"/> (a constant: it keys the prepared statement) with the parameters
    /// <paramref name="names"/> bound to <paramref name="values"/>; null when there is none.
    /// </summary>
    public T? Row<T>(string sql, ReadOnlySpan<string> names, ReadOnlySpan<object?> values) where T : class
    {
        PointReader? reader;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _idle.TryPop(out reader);
        }
        reader ??= new PointReader(connectionString);
        bool healthy = false;
        try
        {
            var row = reader.Row<T>(sql, names, values);
            healthy = true;
            return row;
        }
        finally
        {
            Return(reader, healthy);
        }
    }

    private void Return(PointReader reader, bool healthy)
    {
        lock (_lock)
        {
            if (healthy && !_disposed && _idle.Count < Kept)
            {
                _idle.Push(reader);
                return;
            }
        }
        reader.Dispose(); // a reader whose statement failed is not trusted again
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_idle.TryPop(out var reader))
            {
                reader.Dispose();
            }
        }
    }

    private sealed class PointReader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Dictionary<string, Statement> _statements = new(StringComparer.Ordinal);

        public PointReader(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
        }

        public T? Row<T>(string sql, ReadOnlySpan<string> names, ReadOnlySpan<object?> values) where T : class
        {
            if (!_statements.TryGetValue(sql, out var statement))
            {
                statement = new Statement(_connection, sql, names);
                _statements.Add(sql, statement);
            }
            return statement.Row<T>(values);
        }

        public void Dispose()
        {
            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }
            _connection.Dispose();
        }
    }

    private sealed class Statement : IDisposable
    {
        private readonly SqliteCommand _command;
        private readonly SqliteParameter[] _parameters;
        private Delegate? _parser; // a Func<DbDataReader, T>: the columns of one statement never change

        public Statement(SqliteConnection connection, string sql, ReadOnlySpan<string> names)
        {
            _command = connection.CreateCommand();
            _command.CommandText = sql;
            _parameters = new SqliteParameter[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                _parameters[i] = _command.Parameters.Add(new SqliteParameter { ParameterName = names[i] });
            }
            _command.Prepare();
        }

        public T? Row<T>(ReadOnlySpan<object?> values) where T : class
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                _parameters[i].Value = values[i] ?? DBNull.Value;
            }
            using var reader = _command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }
            var parse = (Func<DbDataReader, T>)(_parser ??= reader.GetRowParser<T>());
            return parse(reader);
        }

        public void Dispose() => _command.Dispose();
    }
}
